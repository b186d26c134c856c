// Skins as the renderer sees them: what core/skins produces from styles/<Name>/<Name>.msstyles.
// Pure types and schemas.
import { z } from 'zod';
import { SoundEventSchema } from './settings.ts';

/** Image roles of a skin's [Images] section; Caption, Frame* and Button come from imported Windows themes (.msstyles DLLs). */
export const ImageRoleSchema = z.enum(['TrayIdle', 'TrayNewMail', 'TrayOffline', 'TrayChat', 'Background', 'Logo', 'WindowIcon', 'Caption', 'FrameLeft', 'FrameRight', 'FrameBottom', 'Button']);
export type ImageRole = z.infer<typeof ImageRoleSchema>;

export const SkinAssetSchema = z.object({
  /** Absolute path, resolved (symlinks too) and checked to be inside the skin's folder. */
  file: z.string(),
  /** Path relative to the skin's folder, with `/` separators, as the renderer's skin protocol serves it. */
  relative: z.string(),
  bytes: z.number().int(),
  width: z.number().int().optional(),
  height: z.number().int().optional(),
});
export type SkinAsset = z.infer<typeof SkinAssetSchema>;

export const SkinSchema = z.object({
  /** Folder name: the skin's id in settings. */
  id: z.string(),
  name: z.string(),
  author: z.string(),
  version: z.string(),
  source: z.enum(['bundled', 'user']),
  dir: z.string(),
  /** CSS custom properties: `--herald-window: rgb(255, 255, 255)`, `--herald-font-family`, ... */
  css: z.record(z.string(), z.string()),
  images: z.partialRecord(ImageRoleSchema, SkinAssetSchema),
  sounds: z.partialRecord(SoundEventSchema, SkinAssetSchema),
  /** Things ignored while loading (unknown keys or sections), for the skin's author. */
  warnings: z.array(z.string()),
});
export type Skin = z.infer<typeof SkinSchema>;

export const RejectedSkinSchema = z.object({ id: z.string(), dir: z.string(), source: z.enum(['bundled', 'user']), reason: z.string() });
export type RejectedSkin = z.infer<typeof RejectedSkinSchema>;

export const SkinCatalogSchema = z.object({ skins: z.array(SkinSchema), rejected: z.array(RejectedSkinSchema) });
export type SkinCatalog = z.infer<typeof SkinCatalogSchema>;
