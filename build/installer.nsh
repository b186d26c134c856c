; Herald's additions to the NSIS installer (electron-builder.yml: nsis.include).
; 1. A per-user installer carries the user's signed provision in its Authenticode signature
;    (gateway/src/provisioning/pe-stamp.ts). The installer cannot read it, so it tells the app
;    where it was run from: its own path ($EXEPATH) goes to resources\installer-path.txt, as
;    UTF-16LE with a byte-order mark (a path may hold any letter). At start the desktop core reads
;    the tag from that file and verifies it (desktop/src/core/provisioning/installer-tag.ts).
; 2. A provision.json beside an installer that was not stamped (`herald-gateway package --from
;    Herald-<version>-win-x64.exe` with an unsigned build) is copied into the app's resources,
;    where the desktop core looks first at start (desktop/src/core/provisioning/provision-sources.ts).

; 3. Herald's build marker (gateway/src/provisioning/build-marker.ts BUILD_MARKER) under the key
;    HeraldBuild: the gateway reads it from the version resource (pe-marker.ts) and stamps or packages
;    only installers that carry it, signed or not. Compiled here by Debian's makensis (the signed-PE
;    tests); not yet by electron-builder's makensis (needs Electron).
VIAddVersionKey "HeraldBuild" "herald-build:org.herald.desktop"

!macro customInstall
  FileOpen $0 "$INSTDIR\resources\installer-path.txt" w
  FileWriteWord $0 0xFEFF
  FileWriteUTF16LE $0 "$EXEPATH"
  FileClose $0
  IfFileExists "$EXEDIR\provision.json" 0 +2
    CopyFiles /SILENT "$EXEDIR\provision.json" "$INSTDIR\resources\provision.json"
!macroend
