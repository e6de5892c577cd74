"""Image resources."""

from __future__ import annotations

from tui.manage.resources.base import Column, Resource, Row, delete_action


def size(row: Row) -> str:
    value = row.get("size")
    if not isinstance(value, int):
        return ""
    amount = float(value)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if amount < 1024 or unit == "GiB":
            return f"{value} B" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return ""


IMAGES = Resource(
    name="images", title="Images", service="image", aliases=("image",),
    columns=(
        Column("Name", "name"),
        Column("Status", "status"),
        Column("Visibility", "visibility"),
        Column("Format", "disk_format"),
        Column("Size", size),
        Column("ID", "id"),
    ),
    fetch=lambda conn: conn.image.images(),
    actions=(delete_action("image", lambda conn, i: conn.image.delete_image(i)),),
)

RESOURCES = (IMAGES,)
