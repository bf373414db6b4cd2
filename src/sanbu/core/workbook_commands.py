"""What the workbook import and export commands share (catalog, inventory): who imports, which
department is exported, writing the file atomically, and how a failed import is reported."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from .actor import Actor
from .identifiers import check_uscc


def importing_actor(path_arg: str, username: str, command: str) -> tuple[Path, Actor]:
    """The file to import and the actor named by ``--as`` (exit 2 when either is missing)."""
    from sanbu.orgs.selectors import actor_for_user

    path = Path(path_arg)
    if not path.is_file():
        raise CommandError(f"文件不存在：{path}", returncode=2)
    user = get_user_model().objects.filter(username=username).first()
    if user is None or not user.is_active:
        raise CommandError(f"用户“{username}”不存在或已停用。", returncode=2)
    return path, actor_for_user(user, request_id=f"{command}:{path.name}")


def refuse_import(lines: Iterable[str], error_count: int, write: Callable[[str], Any]) -> None:
    """Print one line per row error, then exit 1: nothing was imported."""
    for line in lines:
        write(line)
    raise CommandError(f"共 {error_count} 处错误，未导入任何内容。请按上面各行修改后重新导入。", returncode=1)


def exported_department(uscc_arg: str) -> Any:
    """The department named by ``--department`` (exit 2 when it is not registered)."""
    from sanbu.orgs.models import Department

    uscc = check_uscc(uscc_arg).value
    dept = Department.objects.filter(uscc=uscc).first()
    if dept is None:
        raise CommandError(f"统一社会信用代码 {uscc} 不是已登记的部门。", returncode=2)
    return dept


def write_atomically(output: str, export: Callable[[IO[bytes]], Any]) -> tuple[Path, Any]:
    """Run ``export`` into ``<output>.part`` and move it into place, so a failed export leaves no half
    file (exit 2 when the file cannot be written)."""
    path = Path(output)
    tmp = path.with_name(path.name + ".part")
    try:
        with tmp.open("wb") as stream:
            result = export(stream)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CommandError(f"无法写入 {path}：{exc.strerror or exc}", returncode=2) from exc
    return path, result
