"""Distractors: faker person names, companies and addresses, and hard negatives that look like places.

Faker's zh_CN data names real places now and then; a distractor holding a
gazetteer form or a date would be an unlabelled mention, so such items are
dropped from the faker pools.

Hard negatives (``lookalike``) are the opposite: ordinary words that *contain* a
short form of a company or substation — 平安 in 平安保险, 长城 in 长城汽车, a person
named 王麒麟, 刷新一次 where 新一 is a township. The sampler writes them as plain
text, never as mentions, so they are labelled as what they are: no entity. A model
learns from them what the matcher's rules can only approximate.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from faker import Faker

# Brand, company and landmark names that ordinary queries mention.
BRANDS = (
    "平安保险", "平安银行", "长城汽车", "长城宽带", "红旗渠", "红旗汽车", "中华书局", "光明乳业", "华夏银行",
    "太平洋保险", "东方航空", "新华书店", "人民医院", "和平饭店", "胜利油田", "长江证券", "黄河大合唱",
    "泰山啤酒", "凤凰卫视", "金龙鱼", "白云机场", "双汇火腿", "永久自行车", "海尔集团", "美的空调", "格力电器",
    "东风汽车", "红星美凯龙", "万达广场", "金山软件", "龙门石窟", "天山雪莲", "华山论剑", "五粮液", "同仁堂",
    "云南白药", "中山大学", "复旦大学", "保利地产", "新城控股", "碧桂园", "恒大地产", "青山绿水", "大同小异",
    "太平盛世", "安定团结", "兴隆商场", "富强路", "民主评议", "和谐社会", "文明城市", "友谊商店", "团结湖",
    "红星二锅头", "东方明珠", "金城武", "新民晚报", "光华管理学院", "建设银行", "工商银行", "农业银行",
)  # fmt: skip
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁"
# Everyday words whose last character and the next word's first character may form a short form.
WORDS = (
    "刷新", "一次", "更新", "一下", "数据", "系统", "报表", "情况", "平台", "安全", "工作", "东西", "问题", "大家",
    "上次", "明天", "全部", "口径", "统计", "分析", "山上", "河边", "新建", "建设", "设备", "备用", "小区", "区别",
    "城里", "里面", "前后", "后台", "台账", "账号", "号码", "码头", "头条", "条件", "件数", "马上", "上线", "线路",
    "路口", "口头", "头部", "部门", "门口", "太阳", "阳光", "光明", "明白", "白天", "天气", "气温", "温度", "度数",
    "中心", "心里", "里程", "程序", "序号", "号召", "召开", "开关", "关系", "系数", "数量", "量化", "化工", "工厂",
    "同意", "意思", "思路", "路况", "况且", "且慢", "慢慢", "慢车", "车站", "站台", "台风", "风向", "向阳", "阳台",
)  # fmt: skip

# What a candidate lookalike contains: (its weak short forms, how many other mentions). From the matcher.
Classify = Callable[[str], tuple[tuple[str, ...], int]]


def distractor_pools(
    sizes: dict[str, int],
    seed: int,
    has_mention: Callable[[str], bool],
    classify: Classify | None = None,
    forms: tuple[str, ...] = (),
) -> dict[str, tuple[str, ...]]:
    """Pools of distractors per kind: ``person``, ``org``, ``address`` free of mentions; ``lookalike`` hard negatives.

    Args:
        sizes: pool size per kind.
        seed: everything drawn follows from it.
        has_mention: whether a text holds a mention (faker items that do are dropped).
        classify: for ``lookalike``: the weak short forms a text holds and how many other
            mentions; a lookalike needs at least one of the first and none of the second.
            Without it the pool holds one placeholder brand.
        forms: for ``lookalike``: township short forms to build person names from (王麒麟).
    """
    faker = Faker("zh_CN")
    faker.seed_instance(seed)
    makers = {"person": faker.name, "org": faker.company, "address": faker.street_address}
    pools: dict[str, tuple[str, ...]] = {}
    for kind, size in sizes.items():
        if kind == "lookalike":
            pools[kind] = lookalikes(size, seed, classify, forms) if classify is not None else ()
            pools[kind] = pools[kind] or ("某品牌",)
            continue
        items = dict.fromkeys(makers[kind]() for _ in range(size))
        pools[kind] = tuple(item for item in items if not has_mention(item)) or ("某人",)
    return pools


def lookalikes(size: int, seed: int, classify: Classify, forms: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Hard negatives: brands, person names and word pairs that hold a weak short form and nothing else.

    Args:
        size: how many to return at most.
        seed: for the draw of person names and the order of the pool.
        classify: see :func:`distractor_pools`.
        forms: two-character short forms for person names (王 + 麒麟); taken from the word
            pairs and brands found when empty.
    """
    rng = random.Random(f"lookalike:{seed}")
    found: dict[str, tuple[tuple[str, ...], int]] = {}

    def keep(text: str) -> bool:
        if text not in found:
            found[text] = classify(text)
        weak, other = found[text]
        return bool(weak) and other == 0

    brands = [b for b in BRANDS if keep(b)]
    pairs = [a + b for a in WORDS for b in WORDS if a != b and keep(a + b) and not keep(a) and not keep(b)]
    inner = sorted({f for text in (*brands, *pairs) for f in found[text][0]} | set(forms))
    people = []
    for _ in range(size):
        if not inner:
            break
        name = rng.choice(SURNAMES) + rng.choice(inner)
        if keep(name):
            people.append(name)
    pool = list(dict.fromkeys([*brands, *pairs, *people]))
    rng.shuffle(pool)
    return tuple(pool[:size])
