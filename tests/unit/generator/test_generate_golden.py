"""``generate_dataset`` writes, for a fixed seed, byte for byte what it wrote before the speed work.

The digests below are the sha256 of every file a run writes (the manifest without its timings
and paths), computed at commit 5289bbd, before issue 16's generation speed-ups: the sampler, the
resolver's caches, the record encoding and the dedup set may change how, never what, is written.
Regenerate them only for a deliberate change of output: ``.venv/bin/python
tests/unit/generator/test_generate_golden.py`` prints the table.

A JSONL file is pinned by its records, not its whitespace: its digest is taken over the lines
as ``json.dumps(..., ensure_ascii=False)`` writes them, the form files had when the digests were
computed. Since records are written compact (:func:`nerloop.jsonl.compact_json`), each line must
also be exactly that compact form.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import sys
from pathlib import Path

import pytest

from generator.config import GeneratorConfig
from generator.grammar import load_grammar
from generator.pipeline import MANIFEST, generate_dataset
from nerloop.jsonl import compact_json
from nerloop.outdir import LOCK_FILE

REFERENCE = dt.date(2026, 11, 25)
N = 3000
# the manifest's fields that differ between two runs of the same seed (grammar: the file's path, which
# differs between checkouts; grammar_fingerprint pins its content)
VOLATILE = ("seconds", "sampling_seconds", "out_dir", "files", "gazetteer_dir", "grammar", "nerloop_version")
CONFIGS = {
    "defaults": {},
    "off": dict(
        typo_rate=0.0, novel_rate=0.0, fullwidth_rate=0.0, conflict_rate=0.0, negative_share=0.0, mixed_share=0.0
    ),
    "high": dict(
        typo_rate=0.3, novel_rate=0.5, fullwidth_rate=0.3, conflict_rate=0.2, negative_share=0.3, mixed_share=0.2
    ),
}
CASES = [
    ("default", "defaults", 0),
    ("default", "defaults", 7),
    ("default", "off", 0),
    ("default", "high", 7),
    ("national", "defaults", 0),
    ("national", "high", 7),
]
EXPECTED: dict[str, dict[str, str]] = {
    "default-defaults-0": {
        "gazetteer_train/cities.csv": "f25c9bab33e614fa351093fa2e5c18ddea779ca0c83b99783aad090cd6e21e8e",
        "gazetteer_train/companies.csv": "61068fd052a8423c324d5dc7911f8ae83589d37fb5e20def4c496a4d3a2cb549",
        "gazetteer_train/domain.yaml": "6cdfb2a9d43c38f923038746bb0577b00fd9ce373dccd11f8563695cef4477d4",
        "gazetteer_train/indicators.csv": "c27b3fd985775676701597291bd2bbadcc1a348426bee1768769416704fada89",
        "gazetteer_train/provinces.csv": "f3835f9514aaf394259ba809a7e3d85e44c981abd7265d8f017694ff25f7367c",
        "gazetteer_train/substations.csv": "f5ffb6cebc7b16099656095e2c22d437c3c5ce9b6bb724b85ed70d67bef093af",
        "manifest.json": "a43d53fdbdee5f467071058f32420e258de43c5e1659f61f1ab2100ff86669b1",
        "test.jsonl": "d8c0451e173605461a610cac8455ba213c758a0f3e9d4f0e54bca731499bbb54",
        "train.jsonl": "11e819955af127cc90c6875173817021575ab5aa183a03b47346c509d3e3c3db",
        "validation.jsonl": "5a34d48f0099c2669d6686e22c0941d167ba164584c435ac546e9233a57b54cf",
    },
    "default-defaults-7": {
        "gazetteer_train/cities.csv": "f25c9bab33e614fa351093fa2e5c18ddea779ca0c83b99783aad090cd6e21e8e",
        "gazetteer_train/companies.csv": "18ad00f1293784ea8331c976eb5f5ef85a005429520e8befba54425460940212",
        "gazetteer_train/domain.yaml": "6cdfb2a9d43c38f923038746bb0577b00fd9ce373dccd11f8563695cef4477d4",
        "gazetteer_train/indicators.csv": "c27b3fd985775676701597291bd2bbadcc1a348426bee1768769416704fada89",
        "gazetteer_train/provinces.csv": "f3835f9514aaf394259ba809a7e3d85e44c981abd7265d8f017694ff25f7367c",
        "gazetteer_train/substations.csv": "45eb24db6fae7f51e1361563da7668e56d25e302587b364f3383a27fa8f2495a",
        "manifest.json": "0ceabd72ed569c43d34aab09389035fd486ac4a61cfa923c3424b24ad5593a86",
        "test.jsonl": "14a44cc23d8881a22751c7ffef84265ffbc2d726afe6e7d764cf8f0a24a89186",
        "train.jsonl": "b854a8a0f2836972e484a471a49fd996058a92fbfde5365e36bf8615e5deca4e",
        "validation.jsonl": "1ed2c0729c1365c78281fea08d0efe3fd7da71d4c98a3fda61c98483e3fa6e33",
    },
    "default-high-7": {
        "gazetteer_train/cities.csv": "f25c9bab33e614fa351093fa2e5c18ddea779ca0c83b99783aad090cd6e21e8e",
        "gazetteer_train/companies.csv": "18ad00f1293784ea8331c976eb5f5ef85a005429520e8befba54425460940212",
        "gazetteer_train/domain.yaml": "6cdfb2a9d43c38f923038746bb0577b00fd9ce373dccd11f8563695cef4477d4",
        "gazetteer_train/indicators.csv": "c27b3fd985775676701597291bd2bbadcc1a348426bee1768769416704fada89",
        "gazetteer_train/provinces.csv": "f3835f9514aaf394259ba809a7e3d85e44c981abd7265d8f017694ff25f7367c",
        "gazetteer_train/substations.csv": "45eb24db6fae7f51e1361563da7668e56d25e302587b364f3383a27fa8f2495a",
        "manifest.json": "873277ff5764f5df693b64d82e028cf51310eef672903834debd5d4874d4777d",
        "test.jsonl": "cb90cc45037fdda26a70b94a71cb11b80692c420c156dbcf7f8527d2ea7da896",
        "train.jsonl": "7f29e939b7464130f301cd4e1221e51b7346eb0a3abcce82caaf7ec27208c1e5",
        "validation.jsonl": "ff197031214ae37701b1d91899f94d2e66250dbecc5395afcae089b1f0c7ad33",
    },
    "default-off-0": {
        "gazetteer_train/cities.csv": "f25c9bab33e614fa351093fa2e5c18ddea779ca0c83b99783aad090cd6e21e8e",
        "gazetteer_train/companies.csv": "61068fd052a8423c324d5dc7911f8ae83589d37fb5e20def4c496a4d3a2cb549",
        "gazetteer_train/domain.yaml": "6cdfb2a9d43c38f923038746bb0577b00fd9ce373dccd11f8563695cef4477d4",
        "gazetteer_train/indicators.csv": "c27b3fd985775676701597291bd2bbadcc1a348426bee1768769416704fada89",
        "gazetteer_train/provinces.csv": "f3835f9514aaf394259ba809a7e3d85e44c981abd7265d8f017694ff25f7367c",
        "gazetteer_train/substations.csv": "f5ffb6cebc7b16099656095e2c22d437c3c5ce9b6bb724b85ed70d67bef093af",
        "manifest.json": "404e244d13e7bcb53a525c93e7e98e1e45e99c6fccbac98715c0949ff0af6faf",
        "test.jsonl": "fa765bb39f07fa24a9cd06286b9717d4b4ed5193b7793e7d5270773602625de6",
        "train.jsonl": "d2d2310f52cb56b5ee763de4c778c89b49d49b43a0e84760515391a14ff1511f",
        "validation.jsonl": "cec27af0f6e8eeff2b35640edd5acb455cef61749ae78572424da25b17f62449",
    },
    "national-defaults-0": {
        "gazetteer_train/cities.csv": "c95cc2a034ec1b8a65e666ced6663468b256a87b479f4ef1d5e835ed6226dd05",
        "gazetteer_train/companies.csv": "67ffef28b695c4c5a25ff5cb94612637ed11fcad9696696c5e08710447e5ea2d",
        "gazetteer_train/domain.yaml": "6cdfb2a9d43c38f923038746bb0577b00fd9ce373dccd11f8563695cef4477d4",
        "gazetteer_train/indicators.csv": "c27b3fd985775676701597291bd2bbadcc1a348426bee1768769416704fada89",
        "gazetteer_train/provinces.csv": "2a1884c1cc610d1ea04af03c4ff10ef79c859d010de40503fa765eae59d28e11",
        "gazetteer_train/substations.csv": "ba91e04b513fbe1f3040fc99abc81e5bcf1a40de85c054515278e178c24ba5b7",
        "manifest.json": "28e29dc9340ac3720038dd1dce51fbbabe6fa6e205209274cf178cb5e3ba90df",
        "test.jsonl": "1c2a2aa3b510622002a8eb15840112faf134f39491583359661819fab3f9f1f5",
        "train.jsonl": "34d49e023f867f9b61a4cf2c8d06d0e084188820e9eae1af8188338fc889a04e",
        "validation.jsonl": "f1ea43d04ceddbdae6df82dbd5df119f16733649eb1463891d19c22a18b4d86c",
    },
    "national-high-7": {
        "gazetteer_train/cities.csv": "c95cc2a034ec1b8a65e666ced6663468b256a87b479f4ef1d5e835ed6226dd05",
        "gazetteer_train/companies.csv": "42e852842f65e779163ed180b949f877aae496f0b0753337d340abc43a704ec1",
        "gazetteer_train/domain.yaml": "6cdfb2a9d43c38f923038746bb0577b00fd9ce373dccd11f8563695cef4477d4",
        "gazetteer_train/indicators.csv": "c27b3fd985775676701597291bd2bbadcc1a348426bee1768769416704fada89",
        "gazetteer_train/provinces.csv": "2a1884c1cc610d1ea04af03c4ff10ef79c859d010de40503fa765eae59d28e11",
        "gazetteer_train/substations.csv": "6aeeb1402bb1e6cb51fdd8887b630b3f39ec8f42b3ad0cd48b9924ada1463187",
        "manifest.json": "4073f404037d85d84504977094ba9b33da821cddc8b3e8108a38fec7df5a288e",
        "test.jsonl": "733302c19b27854d04850f22c6b16641bcd143f863cffeff6e915c51ea16297e",
        "train.jsonl": "75590ed62efd036050caed22bf27c3f26ea408a5b5b788968ad65806fa5c0b5a",
        "validation.jsonl": "1bb78352809d29521b3152dddf9ae6662e6f33e725a20ebf5ab07a4da769352b",
    },
}


def digests(out: Path) -> dict[str, str]:
    """sha256 of every file under ``out``; the manifest's without what changes between runs."""
    found = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        name = path.relative_to(out).as_posix()
        if name == LOCK_FILE:  # the holder's pid
            continue
        content = path.read_bytes()
        if name.endswith(".jsonl"):
            content = canonical_lines(content)
        elif name == MANIFEST:
            manifest = json.loads(content)
            for key in VOLATILE:
                manifest.pop(key, None)
            content = json.dumps(manifest, ensure_ascii=False, sort_keys=True).encode()
        found[name] = hashlib.sha256(content).hexdigest()
    return found


def canonical_lines(content: bytes) -> bytes:
    """The JSONL file as the standard library's default separators write it; each line must be compact."""
    out = []
    for line in content.decode("utf-8").splitlines():
        value = json.loads(line)
        assert line == compact_json(value), f"not written compact: {line[:80]!r}"
        out.append(json.dumps(value, ensure_ascii=False) + "\n")
    return "".join(out).encode()


def run(gazetteer, which: str, seed: int, out: Path) -> dict[str, str]:
    config = GeneratorConfig(n=N, seed=seed, reference_date=REFERENCE, **CONFIGS[which])
    generate_dataset(gazetteer, load_grammar(None, gazetteer.domain), out, config)
    return digests(out)


def national_gazetteer(out: Path):
    from gazetteers import load_gazetteer
    from gazetteers.build_cn import build_cn
    from gazetteers.default import default_directory

    build_cn(out)
    shutil.copyfile(default_directory() / "indicators.csv", out / "indicators.csv")
    return load_gazetteer(out, use_cache=False)


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory):
    return national_gazetteer(tmp_path_factory.mktemp("cn"))


def case_id(case: tuple[str, str, int]) -> str:
    return "-".join(map(str, case))


@pytest.mark.parametrize(
    "case",
    [pytest.param(case, id=case_id(case), marks=[pytest.mark.slow] if case[0] == "national" else []) for case in CASES],
)
def test_generated_files_equal_the_pinned_digests(case, request, tmp_path: Path):
    gazetteer_name, which, seed = case
    gazetteer = request.getfixturevalue("default_gazetteer" if gazetteer_name == "default" else "national")
    assert run(gazetteer, which, seed, tmp_path) == EXPECTED[case_id(case)]


if __name__ == "__main__":
    import tempfile

    from gazetteers import load_gazetteer
    from gazetteers.default import default_directory

    with tempfile.TemporaryDirectory() as tmp:
        gazetteers = {
            "default": load_gazetteer(default_directory(), use_cache=False),
            "national": national_gazetteer(Path(tmp) / "cn"),
        }
        table = {}
        for case in CASES:
            table[case_id(case)] = run(gazetteers[case[0]], case[1], case[2], Path(tmp) / case_id(case))
    json.dump(table, sys.stdout, indent=4, sort_keys=True)
    print()
