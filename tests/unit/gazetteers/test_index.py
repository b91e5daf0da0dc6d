from hypothesis import given, settings
from hypothesis import strategies as st

from gazetteers import load_gazetteer
from gazetteers.default import default_directory

DEFAULT = load_gazetteer(default_directory(), use_cache=False)
HIERARCHY_IDS = [e.id for t in DEFAULT.domain.hierarchy for e in DEFAULT.entries(t)]


def test_default_gazetteer_is_shandong_built_from_mca_codes():
    assert [e.name for e in DEFAULT.entries("Province")] == ["山东省"]
    assert len(DEFAULT.entries("City")) == 16
    assert len(DEFAULT.entries("Substation")) > 1500
    assert DEFAULT.lookup("麒麟所", "Substation") == ("山东省/菏泽市/巨野县供电公司/麒麟供电所",)


@settings(max_examples=300)
@given(st.sampled_from(HIERARCHY_IDS))
def test_every_entry_chains_back_to_a_province(entry_id):
    path = DEFAULT.path(entry_id)
    assert DEFAULT.get(path[0]).type == "Province"
    assert path[-1] == entry_id
    levels = [DEFAULT.domain.level(DEFAULT.get(i).type) for i in path]
    assert levels == sorted(set(levels))  # strictly deeper at each step


@settings(max_examples=200)
@given(st.sampled_from(HIERARCHY_IDS))
def test_children_and_parents_agree(entry_id):
    entry = DEFAULT.get(entry_id)
    assert entry_id in DEFAULT.children(entry.parent)
    for child in DEFAULT.children(entry_id):
        assert DEFAULT.get(child).parent == entry_id


@settings(max_examples=200)
@given(st.sampled_from(HIERARCHY_IDS))
def test_every_surface_form_finds_its_entry(entry_id):
    entry = DEFAULT.get(entry_id)
    for form in entry.surfaces:
        assert entry_id in DEFAULT.lookup(form, entry.type)


def test_shared_names_count_entries(mini):
    assert mini.shared_names("Substation") == {"龙山供电所": 2, "城关供电所": 2}


def test_the_base_name_is_the_first_of_the_shortest_surface_forms() -> None:
    from gazetteers.model import Entry, Gazetteer

    entries = [
        Entry("a", "Substation", "龙山供电所", surfaces=("龙山供电所", "龙山所", "龙山")),
        Entry("b", "Substation", "龙山镇供电所", surfaces=("龙山镇供电所", "龙山镇", "龙山")),
        Entry("c", "Substation", "红旗供电所", surfaces=("红旗供电所", "红旗", "旗所")),  # a tie: the first
        Entry("d", "Substation", "无名", surfaces=()),  # no form: no base
    ]
    gazetteer = Gazetteer(DEFAULT.domain, entries)
    assert gazetteer.bases("Substation") == {"龙山": ("a", "b"), "红旗": ("c",)}
    assert gazetteer.bases("City") == {}


@settings(max_examples=200)
@given(st.sampled_from(HIERARCHY_IDS))
def test_every_entry_is_found_under_a_base_name_it_bears(entry_id):
    entry = DEFAULT.get(entry_id)
    bases = [base for base, ids in DEFAULT.bases(entry.type).items() if entry_id in ids]
    assert len(bases) == 1 and bases[0] in entry.surfaces


def test_base_index_holds_each_entry_once_and_survives_pickling():
    import pickle

    for type_name in DEFAULT.domain.types:
        ids = [i for found in DEFAULT.bases(type_name).values() for i in found]
        assert sorted(ids) == sorted(e.id for e in DEFAULT.entries(type_name))
    copy = pickle.loads(pickle.dumps(DEFAULT))
    assert copy.bases("Substation") == DEFAULT.bases("Substation")
    assert copy.bases("NoSuchType") == {}
