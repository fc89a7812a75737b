"""`incdsl fmt [--check] [--diff] FILE...`: rewrite specs in the canonical layout, in place.

Folders are searched for `*.inc` files. `--check` only reports the files that would change,
`--diff` prints the changes; both exit 1 when a file would change. A file that does not parse
is reported with its located error and left alone (exit 2); the others are still formatted.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

from incdsl.errors import IncdslError, SpecError, UsageError


def add_parser(sub) -> None:
    p = sub.add_parser("fmt", help="format spec files in the canonical layout",
                       description="Rewrite spec files in place in incdsl's one layout "
                       "(indentation, spacing, blank lines; comments kept). Folders are "
                       "searched for *.inc files.")
    p.add_argument("files", nargs="+", metavar="FILE", help="spec files or folders")
    p.add_argument("--check", action="store_true",
                   help="change nothing; list the files that would change (exit 1 if any)")
    p.add_argument("--diff", action="store_true",
                   help="change nothing; print the changes as a unified diff (exit 1 if any)")
    p.set_defaults(run=run)


def spec_files(names) -> list[Path]:
    files: list[Path] = []
    for name in names:
        path = Path(name)
        if path.is_dir():
            files += sorted(path.rglob("*.inc"))
        elif path.is_file():
            files.append(path)
        else:
            raise UsageError(f"{name}: no such file or folder")
    return files


def run(args) -> int:
    from incdsl.fileio import write_bytes_atomically
    from incdsl.fmt import FormatterBug, format_text
    from incdsl.syntax.program import read_source

    changed, unchanged, failed = 0, 0, 0
    for path in spec_files(args.files):
        try:
            text = read_source(path)
            formatted = format_text(text, str(path))
        except SpecError as e:
            print(e.render(), file=sys.stderr)
            failed += 1
            continue
        except (IncdslError, FormatterBug) as e:
            print(f"incdsl: error: {e}", file=sys.stderr)
            failed += 1
            continue
        if formatted == text:
            unchanged += 1
            continue
        changed += 1
        if args.diff:
            sys.stdout.writelines(difflib.unified_diff(
                text.splitlines(True), formatted.splitlines(True), f"{path}", f"{path}"))
        if args.check:
            print(f"would reformat {path}")
        if not (args.check or args.diff):
            write_bytes_atomically(path, formatted.encode())
            print(f"reformatted {path}")
    _summary(changed, unchanged, failed, args.check or args.diff)
    if failed:
        return 2
    return 1 if changed and (args.check or args.diff) else 0


def _summary(changed: int, unchanged: int, failed: int, dry: bool) -> None:
    def files(n):
        return f"{n} file{'s' if n != 1 else ''}"

    parts = []
    if changed:
        parts.append(f"{files(changed)} {'would be reformatted' if dry else 'reformatted'}")
    if unchanged:
        parts.append(f"{files(unchanged)} {'already formatted' if dry else 'left unchanged'}")
    if failed:
        parts.append(f"{files(failed)} not formatted (errors above)")
    print(", ".join(parts) if parts else "no spec files", file=sys.stderr)
