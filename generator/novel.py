"""Names the gazetteer lacks: invented companies and townships for training a model to find them.

A model that only ever sees the gazetteer's own names learns their characters by heart and cuts
an unknown one where the known ones end (弥城镇 read as 城镇, 遂川泉江镇 as 遂川泉 + 江镇). Finding
names the gazetteer lacks is what the model is for, so a share of the generated Company and
Substation mentions carry a *novel* name: the drawn entry's surface form with its core (the name
without suffixes, 麒麟 in 麒麟镇供电所) replaced by a new core of the same length, built position
by position from the characters real cores of that type use. The suffix stays (镇, 乡, 街道, 县,
供电所 …), so the new name looks like the names users write.

A novel name is checked against the gazetteer: neither the core nor the surface is a form of any
entry, and the surface holds no date, no indicator and no full name or strong alias. The resolver
then labels it as a mention without a link, which constrains nothing — exactly how a name missing
from a user's gazetteer is labelled at inference time.

A sample with invented names has them from one level down (a company the gazetteer lacks and its
township, 遂川泉江镇, or a township alone), as a gazetteer with a missing row would show them. A
share of invented companies are new districts (兰州新区, 郑东新区), half of them named after a
city, whose form is then allowed at the start of the name. Pure given the caller's
``random.Random``.
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence

from gazetteers.matcher import GazetteerMatcher
from gazetteers.segmentation import ALIAS, FULL

# The levels that hold many names users type and gazetteers miss, and how often a sample's invented
# names start at each: a gazetteer that lacks a company lacks its townships too.
NOVEL_TYPES = ("Company", "Substation")
NOVEL_LEVEL_WEIGHTS = (0.4, 0.6)
_TRIES = 8
_LENGTHS = (2, 3, 4)
# A core that ends in one of these still holds its suffix (邱县 of 邱县供电公司: 邱 alone is no short form).
_SUFFIX_CHARS = frozenset("省市县区旗镇乡所")
# New districts (兰州新区, 郑东新区, 金普新区) are companies many gazetteers lack: this share of the
# invented companies is one, half of them named after their city (兰州 + 新区).
NEW_AREA = "新区"
NEW_AREA_SHARE = 0.15


def name_core(name: str, surfaces: Sequence[str]) -> str:
    """What an entry's surface forms share at their start: 麒麟 for 麒麟供电所 / 麒麟镇 / 麒麟所."""
    return os.path.commonprefix([name, *surfaces])


class NovelNames:
    """Invents names the gazetteer lacks for the types in ``NOVEL_TYPES`` that the domain has.

    Built once per run: the cores of every entry by type and length, and the characters each
    position of a core uses (first characters from first positions, and so on).
    """

    def __init__(self, matcher: GazetteerMatcher) -> None:
        self.matcher = matcher
        gazetteer = matcher.gazetteer
        self.types = tuple(t for t in NOVEL_TYPES if t in gazetteer.domain.hierarchy)
        self._cores: dict[str, str] = {}
        self._known: set[str] = set()
        self._chars: dict[tuple[str, int], tuple[tuple[str, ...], ...]] = {}
        columns: dict[tuple[str, int], list[list[str]]] = {}
        for entry in gazetteer:
            if entry.type not in self.types:
                continue
            core = name_core(entry.name, entry.surfaces)
            if len(core) not in _LENGTHS or core[-1] in _SUFFIX_CHARS:
                continue
            self._cores[entry.id] = core
            self._known.add(core)
            slots = columns.setdefault((entry.type, len(core)), [[] for _ in core])
            for i, ch in enumerate(core):
                slots[i].append(ch)
        self._chars = {key: tuple(tuple(c) for c in slots) for key, slots in columns.items()}
        hierarchy = gazetteer.domain.hierarchy
        self._new_area = "Company" in self.types and "City" in hierarchy
        self._city_forms: tuple[str, ...] = ()
        if self._new_area:
            self._city_forms = tuple(
                f
                for f in sorted(gazetteer.surfaces("City"))
                if len(f) == 2 and (info := matcher.form_info(f)) and info[1] != FULL and set(info[0]) == {"City"}
            )

    def pick_level(self, rng: random.Random) -> str | None:
        """The level from which a sample's names are invented (that level and every one below it)."""
        if not self.types:
            return None
        weights = dict(zip(NOVEL_TYPES, NOVEL_LEVEL_WEIGHTS))
        total = sum(weights[t] for t in self.types)
        at = rng.random() * total
        for type_name in self.types:
            at -= weights[type_name]
            if at < 0:
                return type_name
        return self.types[-1]

    def rename(self, type_name: str, entry_id: str, surface: str, rng: random.Random) -> str | None:
        """``surface`` of ``entry_id`` with a new core; ``None`` when it has no core to replace or
        no draw passed the gazetteer check."""
        core = self._cores.get(entry_id)
        if core is None or not surface.startswith(core):
            return None
        chars = self._chars.get((type_name, len(core)))
        if not chars:
            return None
        rest = surface[len(core) :]
        new_area = type_name == "Company" and self._new_area and rng.random() < NEW_AREA_SHARE
        if new_area:
            rest = NEW_AREA + ("供电公司" if rest.endswith("供电公司") else "")
        for _ in range(_TRIES):
            allowed = None
            if new_area and self._city_forms and rng.random() < 0.5:
                new = allowed = self._city_forms[int(rng.random() * len(self._city_forms))]
            else:
                new = "".join(column[int(rng.random() * len(column))] for column in chars)
            if new in self._known:
                continue
            candidate = new + rest
            if self._unknown(new, candidate, allowed):
                return candidate
        return None

    def _unknown(self, core: str, surface: str, city: str | None = None) -> bool:
        """Neither ``core`` nor ``surface`` is a form, and ``surface`` holds no date, indicator or
        strong name — except ``city``, the city a new district is named after."""
        matcher = self.matcher
        if matcher.form_info(surface) is not None or (city is None and matcher.form_info(core) is not None):
            return False
        for mention in matcher.find(surface):
            if mention.type not in self.matcher.gazetteer.domain.hierarchy:
                return False  # a date or an indicator inside the name
            if city is not None and mention.text == city and mention.start == 0:
                continue
            info = matcher.form_info(mention.text)
            if info is not None and (info[1] == FULL or (info[1] == ALIAS and not info[2])):
                return False
        return True
