; Herald's additions to the NSIS installer (electron-builder.yml: nsis.include).
; Installers cannot be stamped, so a per-user provision.json travels beside the installer
; (`herald-gateway package --from Herald-<version>-win-x64.exe`). When it is there, it is copied
; into the app's resources, where the desktop core looks first at start
; (desktop/src/core/provisioning/provision-sources.ts): the app starts signed in.

; Herald's build marker (gateway/src/provisioning/build-marker.ts BUILD_MARKER): version resources
; are stored uncompressed (UTF-16LE), so `herald-gateway package` finds it by a byte scan and
; refuses installers without it. Not yet compiled by a real makensis (needs Electron: README "Packaging").
VIAddVersionKey "HeraldBuild" "herald-build:org.herald.desktop"

!macro customInstall
  IfFileExists "$EXEDIR\provision.json" 0 +2
    CopyFiles /SILENT "$EXEDIR\provision.json" "$INSTDIR\resources\provision.json"
!macroend
