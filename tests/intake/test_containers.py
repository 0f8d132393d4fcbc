from __future__ import annotations

import io
import mailbox
import zipfile
from pathlib import Path

from pollwatch.config import DEFAULT_LIMITS, Limits
from pollwatch.intake import RawItem, iter_items
from pollwatch.intake.containers import detect
from pollwatch.models import IngestError
from support.messages import simple_message
from support.outlook_msg import build_msg


def _items(*paths: Path | str, limits: Limits = DEFAULT_LIMITS) -> list[RawItem | IngestError]:
    return list(iter_items([str(p) for p in paths], limits))


def test_container_type_is_detected_from_content_not_name(tmp_path: Path) -> None:
    eml = simple_message()
    (tmp_path / "report.txt").write_bytes(eml)
    (tmp_path / "noext").write_bytes(b"From alex@example.net Tue Oct 20 14:02:05 2020\n" + eml)
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("a.eml", eml)
    (tmp_path / "archive.eml").write_bytes(zipped.getvalue())
    assert detect((tmp_path / "report.txt").read_bytes()) == "eml"
    assert detect((tmp_path / "noext").read_bytes()) == "mbox"
    assert detect((tmp_path / "archive.eml").read_bytes()) == "zip"
    assert detect(build_msg(subject="s", sender_name="n", sender_email="n@example.org",
                            to="t@example.org", body="b")) == "msg"
    assert detect(b"\x89PNG\r\n\x1a\n") == "unknown"


def test_mbox_is_split_and_from_quoting_undone(tmp_path: Path) -> None:
    path = tmp_path / "box"
    box = mailbox.mbox(path)
    for n in range(3):
        box.add(simple_message(subject=f"n{n}", body=f"line\nFrom here on, {n}\n"))
    box.flush()
    box.close()
    items = _items(path)
    assert [i.source.index for i in items] == ["#0", "#1", "#2"]
    assert all(isinstance(i, RawItem) for i in items)
    first = items[0]
    assert isinstance(first, RawItem)
    assert b"\nFrom here on, 0" in first.raw and b">From" not in first.raw


def test_maildir_reads_cur_and_new_with_positions(tmp_path: Path) -> None:
    box = mailbox.Maildir(tmp_path / "md")
    box.add(simple_message(subject="one"))
    box.add(simple_message(subject="two"))
    items = _items(tmp_path / "md")
    assert len(items) == 2
    assert all(i.source.container == "maildir" for i in items)
    assert all((i.source.index or "").startswith("new/") for i in items)


def test_folders_are_read_recursively_in_stable_order(tmp_path: Path) -> None:
    (tmp_path / "b" / "c").mkdir(parents=True)
    (tmp_path / "b" / "c" / "2.eml").write_bytes(simple_message(subject="2"))
    (tmp_path / "1.eml").write_bytes(simple_message(subject="1"))
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4 binary")
    items = _items(tmp_path)
    assert [Path(i.source.path).name for i in items] == ["1.eml", "2.eml", "notes.pdf"]
    assert isinstance(items[2], IngestError) and items[2].code == "container.unrecognised"


def test_zip_entries_including_nested_mbox_and_zip(tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("deep.eml", simple_message(subject="deep"))
    mbox_bytes = (b"From a@example.org Tue Oct 20 14:02:05 2020\n" + simple_message(subject="m0")
                  + b"\nFrom b@example.org Tue Oct 20 14:03:05 2020\n" + simple_message(subject="m1"))
    path = tmp_path / "reports.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("one.eml", simple_message(subject="one"))
        archive.writestr("box.mbox", mbox_bytes)
        archive.writestr("inner.zip", inner.getvalue())
    items = _items(path)
    assert [i.source.index for i in items] == ["one.eml", "box.mbox!#0", "box.mbox!#1",
                                                "inner.zip!deep.eml"]
    assert all(isinstance(i, RawItem) for i in items)


def test_zip_bomb_entry_is_refused_and_the_rest_continues(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.eml", b"From: a@example.org\r\n\r\n" + b"\0" * (30 * 1024 * 1024))
        archive.writestr("ok.eml", simple_message())
    items = _items(path)
    assert isinstance(items[0], IngestError) and items[0].code == "archive.bomb"
    assert isinstance(items[1], RawItem)


def test_archive_total_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for n in range(5):
            archive.writestr(f"{n}.eml", simple_message(body="x" * 4000))
    items = _items(path, limits=Limits(max_archive_total_bytes=9_000))
    codes = [i.code if isinstance(i, IngestError) else "ok" for i in items]
    assert codes[:2] == ["ok", "ok"] and set(codes[3:]) == {"archive.bomb"}


def test_traversal_entry_names_are_read_in_memory_and_flagged(tmp_path: Path) -> None:
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("../../x", simple_message())
    (item,) = _items(path)
    assert isinstance(item, RawItem)
    assert item.source.index == "../../x"
    assert item.defects[0].kind == "archive.unsafe_name"
    assert not (tmp_path.parent.parent / "x").exists()


def test_corrupt_and_encrypted_archives_give_clear_errors(tmp_path: Path) -> None:
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    (item,) = _items(tmp_path / "broken.zip")
    assert isinstance(item, IngestError) and item.code == "archive.corrupt"
    data = bytearray(io.BytesIO().getvalue())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("x.eml", simple_message())
    data = bytearray(buffer.getvalue())
    data[6] |= 0x1  # local header: encrypted flag
    central = data.rfind(b"PK\x01\x02")
    data[central + 8] |= 0x1
    (tmp_path / "locked.zip").write_bytes(bytes(data))
    (item,) = _items(tmp_path / "locked.zip")
    assert isinstance(item, IngestError) and item.code == "archive.encrypted"


def test_stdin_is_read_as_one_container() -> None:
    stdin = io.BytesIO(simple_message())
    (item,) = list(iter_items(["-"], DEFAULT_LIMITS, stdin=stdin))
    assert isinstance(item, RawItem) and item.source.path == "<stdin>"


def test_missing_path_is_an_error_not_a_crash(tmp_path: Path) -> None:
    (item,) = _items(tmp_path / "nope.eml")
    assert isinstance(item, IngestError) and item.code == "source.missing"


def test_oversized_mbox_message_is_skipped_and_the_next_read(tmp_path: Path) -> None:
    path = tmp_path / "box"
    big = simple_message(body="y" * 5000)
    path.write_bytes(b"From a@x Tue Oct 20 14:02:05 2020\n" + big + b"\nFrom b@x Tue Oct 20 14:02:05 2020\n"
                     + simple_message(subject="small"))
    items = _items(path, limits=Limits(max_mbox_message_bytes=3000))
    assert isinstance(items[0], IngestError) and items[0].code == "message.too_large"
    assert isinstance(items[1], RawItem)
