#!/bin/sh
# Shared Care Planner for Linux: installs for this user only, into ~/.local (no root).
#
#   ./install.sh                       install, or upgrade in place
#   ./install.sh --uninstall           remove the program; the encrypted data stays
#   ./install.sh --uninstall --purge   also delete this user's encrypted vault, settings
#                                      and logs (asks first; add --yes to skip the question)
#
# The program goes to ~/.local/lib/shared-care-planner with a link in ~/.local/bin, a menu
# entry and an icon. The encrypted vault lives elsewhere, in the user's data folder
# (~/.local/share/SharedCarePlanner, or under $XDG_DATA_HOME), and neither an upgrade nor a
# plain uninstall touches it: changes not yet synced to the central store are kept.
set -eu

NAME=shared-care-planner
HERE=$(cd "$(dirname "$0")" && pwd)
APP_DIR="$HOME/.local/lib/$NAME"
BIN_LINK="$HOME/.local/bin/$NAME"
SHARE="${XDG_DATA_HOME:-$HOME/.local/share}"
DESKTOP_FILE="$SHARE/applications/$NAME.desktop"
ICON_SVG="$SHARE/icons/hicolor/scalable/apps/$NAME.svg"
ICON_PNG="$SHARE/icons/hicolor/256x256/apps/$NAME.png"
# Where the app keeps its data (platformdirs on Linux; see desktop_app/services/paths.py).
DATA_DIRS="$SHARE/SharedCarePlanner
$SHARE/SharedCarePlanner-demo
${XDG_CONFIG_HOME:-$HOME/.config}/SharedCarePlanner
${XDG_STATE_HOME:-$HOME/.local/state}/SharedCarePlanner
${XDG_CACHE_HOME:-$HOME/.cache}/SharedCarePlanner"

usage() {
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
    exit "$1"
}

refresh_menus() {
    # Optional helpers: desktops pick the entry up without them, only later.
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$SHARE/applications" 2>/dev/null || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1; then
        gtk-update-icon-cache -q -t "$SHARE/icons/hicolor" 2>/dev/null || true
    fi
}

install_app() {
    [ -x "$HERE/$NAME/$NAME" ] || { echo "install.sh: $HERE/$NAME/$NAME is missing" >&2; exit 1; }
    mkdir -p "$(dirname "$APP_DIR")" "$(dirname "$BIN_LINK")" "$(dirname "$DESKTOP_FILE")" \
        "$(dirname "$ICON_SVG")" "$(dirname "$ICON_PNG")"
    # Copy next to the old version, then swap: a failed copy leaves the old one working.
    rm -rf "$APP_DIR.new" "$APP_DIR.old"
    cp -R "$HERE/$NAME" "$APP_DIR.new"
    if [ -d "$APP_DIR" ]; then mv "$APP_DIR" "$APP_DIR.old"; fi
    mv "$APP_DIR.new" "$APP_DIR"
    rm -rf "$APP_DIR.old"
    ln -sfn "$APP_DIR/$NAME" "$BIN_LINK"
    # The menu entry names the program by its full path: ~/.local/bin is not always on
    # the desktop session's PATH.
    sed -e "s|^Exec=.*|Exec=\"$APP_DIR/$NAME\"|" -e "s|^TryExec=.*|TryExec=$APP_DIR/$NAME|" \
        "$HERE/$NAME.desktop" > "$DESKTOP_FILE"
    cp "$HERE/$NAME.svg" "$ICON_SVG"
    cp "$HERE/$NAME.png" "$ICON_PNG"
    refresh_menus
    echo "Installed $("$APP_DIR/$NAME" --version) in $APP_DIR"
    echo "Start it from the applications menu, or run: $BIN_LINK"
    echo "Check the installation with: $BIN_LINK --self-test"
}

uninstall_app() {
    rm -rf "$APP_DIR" "$APP_DIR.new" "$APP_DIR.old"
    rm -f "$BIN_LINK" "$DESKTOP_FILE" "$ICON_SVG" "$ICON_PNG"
    refresh_menus
    echo "Shared Care Planner removed."
}

purge_data() {
    if [ "$1" != yes ]; then
        echo "This deletes this user's encrypted Shared Care Planner data on this computer:"
        echo "$DATA_DIRS" | sed 's/^/  /'
        echo "Changes not yet synced to the central store will be lost for good."
        printf 'Type DELETE to confirm: '
        read -r answer || answer=""
        [ "$answer" = DELETE ] || { echo "Kept the data."; return 0; }
    fi
    echo "$DATA_DIRS" | while IFS= read -r folder; do rm -rf "$folder"; done
    echo "Encrypted data removed."
}

action=install
purge=no
yes=no
for arg in "$@"; do
    case "$arg" in
        --uninstall) action=uninstall ;;
        --purge) purge=yes ;;
        --yes) yes=yes ;;
        -h|--help) usage 0 ;;
        *) echo "install.sh: unknown option $arg" >&2; usage 2 ;;
    esac
done
if [ "$purge" = yes ] && [ "$action" != uninstall ]; then
    echo "install.sh: --purge goes with --uninstall" >&2
    exit 2
fi

if [ "$action" = install ]; then
    install_app
else
    uninstall_app
    if [ "$purge" = yes ]; then
        purge_data "$yes"
    else
        echo "Your encrypted data was kept (use --uninstall --purge to delete it too)."
    fi
fi
