"""Replies that are no answer though they read like one: one that says the passages are
silent, one that restates the question, one that gives no number to a question asking for one,
one that states no law to a question asking how a quantity scales, one that never names the
symbol asked about."""

from __future__ import annotations

import re
from collections import Counter

from agent.reply_checks.reading import CITATION, FACT_TOKEN, FUNCTION_CHARS, cited_numbers, split_sentences
from kb.terms import STOPWORDS, terms

# A reply that opens by saying, in its own words, that the passages hold no answer ("… is not
# directly stated in the given passages") instead of the sentinel the prompt asks for.
SAYS_ABSENT = re.compile(
    r"\b(?:is|are|was|were)\s+not\s+(?:\w+ly\s+)?(?:stated|mentioned|given|provided|specified|discussed|"
    r"described|reported|found|included|addressed)\b"
    r"|\b(?:passages?|sources?|context|texts?|excerpts?)\s+(?:do|does|did)\s*(?:not|n't)\s+"
    r"(?:\w+ly\s+)?(?:contain|mention|state|provide|specify|say|give|include|discuss|address)\b"
    r"|\bno\s+(?:information|mention|details?)\s+(?:about|on|of|regarding)\b"
    r"|(?:没有|未|并未|并没有)(?:直接|明确)?(?:提及|提到|给出|说明|涉及|包含|指出|列出)|没有(?:相关)?信息",
    re.IGNORECASE)


def says_absent(answer: str) -> bool:
    """True when the reply's first sentence says the passages do not hold the answer and the
    model cites nothing: an answer that then goes on from memory must not be shown as sourced.
    A reply that cites a passage keeps its answer ("X is not stated, but Y [2]")."""
    sentences = split_sentences(answer)
    return bool(sentences) and not cited_numbers(answer) and bool(SAYS_ABSENT.search(sentences[0]))


def restates(question: str, answer: str) -> bool:
    """True when `answer` adds no content word the question lacks — "Google Scholar ranks its
    results by Google Scholar's ranking". The small embedded model writes such echoes when the
    passages only share the question's words; they are refused, not shown as answers. A new
    number, name or content word (any at all) makes it an answer, and so does a number the
    answer states more often than the question: "d = 1 时 … ν 等于 1" answers "d = 1 时 ν 等于多少"."""
    def content(text: str) -> set[str]:
        return {t for t in terms(CITATION.sub(" ", text)) if t.isascii() or not set(t) & FUNCTION_CHARS}

    said = content(answer)
    return bool(said) and not said - content(question) and not _numbers_said(answer) - _numbers_said(question)


def _numbers_said(text: str) -> Counter[str]:
    """The numbers `text` states, each as often as it does, citation marks aside."""
    return Counter(t for t in FACT_TOKEN.findall(CITATION.sub(" ", text)) if t[0].isdigit())


# A question that asks for a number: "how many", "what learning rate", "多少", "几层".
ASKS_NUMBER = re.compile(
    r"\bhow\s+(?:many|much|long|large|big|deep|far|fast|often|high|low|small|wide)\b"
    r"|\bwhat\s+(?:[\w@-]+\s+){0,3}?(?:values?|numbers?|percentage|proportion|ratio|fraction|size|count|scores?|"
    r"f1|recall(?:@\d+)?|precision|accuracy|(?-i:mAP)|rate|coefficient|depth)\b"
    r"|多少|多大|多长|多久|多深|多高|(?<!哪)几(?=[个种层步次条篇倍轮项名位天年月维])|数值|取值",
    re.IGNORECASE)
# A number a reply may state in words: "depth three", "shifted by one", "三层".
SPELLED_NUMBER = re.compile(
    r"\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|"
    r"thousand|million|billion|dozen|half|twice|double|triple|single)\b|[零一二两三四五六七八九十百千万亿半]",
    re.IGNORECASE)


def gives_no_number(question: str, answer: str) -> bool:
    """True when `question` asks for a number and `answer` states none but the question's own
    (in digits or in words): "the upper and lower critical dimensions …" for "what numerical value
    of g_c do they report for d = 2" (u8-29, which the paper never gives) is not an answer."""
    if not ASKS_NUMBER.search(question):
        return False
    reply = CITATION.sub(" ", answer)
    # "r = t′" states a value in symbols (u6-20).
    return (not _numbers_said(answer) - _numbers_said(question) and not SPELLED_NUMBER.search(reply)
            and not _adds_equations(question, reply, "="))


def _adds_equations(question: str, reply: str, signs: str) -> bool:
    """True when `reply` writes more of these equation signs than `question` does."""
    return sum(map(reply.count, signs)) > sum(map(question.count, signs))


# A question that asks how one quantity scales with another: "how does T* scale with g − gc",
# "how is the hopping scaled with z", "交叉温度如何随 g − gc 标度".
ASKS_SCALING = re.compile(
    r"\bhow\s+(?:does|do|did|is|are|was|were|would|should|must)\s+(?:[^\s?]+\s+){0,12}?(?:re)?scal(?:e|es|ed)\b"
    r"|(?:如何|怎样|怎么)[^？?。]{0,30}?标度|标度(?:律|关系)(?:是|为|如何|怎样)",
    re.IGNORECASE)
# What states a scaling law: "∝ (g − gc)^{zν}", "t0 ~ 1/√z", "scales linearly", "与 z 成反比", "幂律".
STATES_LAW = re.compile(
    r"[∝∼~^√²³⁻¹/]|\*\*|\b(?:power|exponents?|proportional|inversely|linear(?:ly)?|quadratic(?:ally)?|"
    r"cubic(?:ally)?|logarithmic(?:ally)?|exponential(?:ly)?|squared?|root)\b|幂|指数|线性|平方|立方|根号|开方|反比|正比|对数|倒数",
    re.IGNORECASE)


def states_no_law(question: str, answer: str) -> bool:
    """True when `question` asks how one quantity scales with another and `answer` states no law
    for it — no equation, power, ∝, ~, 1/z or "linearly": "交叉温度随 g − gc 标度减小" (u22-30, answered
    from memory about a finite-temperature crossover the zero-temperature paper never treats) says
    only that it scales, which the question already assumed."""
    if not ASKS_SCALING.search(question):
        return False
    reply = CITATION.sub(" ", answer)
    # An equation states a law too: "t′ ≡ z t0" answers how the hopping is scaled with z (u8-17).
    return not STATES_LAW.search(reply) and not _adds_equations(question, reply, "=≡≈")


# A subscripted symbol a question asks about, with up to two words before it that name it:
# "the critical coupling g_c", "临界耦合 g_c" (its last two characters), "λ_{x}".
SUBSCRIPTED = re.compile(r"((?:[A-Za-z][A-Za-z-]*\s+){0,2}|[\u4e00-\u9fff]{2}\s*)(?<![\w\\])([A-Za-z\u03b1-\u03c9])_\{?([A-Za-z0-9]+)\}?(?!\w)")


def unnamed_symbols(question: str, answer: str) -> list[str]:
    """The subscripted symbols whose value `question` asks for that `answer` names neither as
    the symbol (g_c, gc, g_{c}) nor by the question's words for it ("critical coupling"):
    "the critical dimensions are shifted by one" does not say what g_c is (u8-29)."""
    if not ASKS_NUMBER.search(question):
        return []
    unnamed = []
    for match in SUBSCRIPTED.finditer(question):
        name, base, sub = match.groups()
        words = [w for w in name.lower().split() if w not in STOPWORDS]
        as_symbol = re.search(rf"(?<![\w\\]){re.escape(base)}_?\{{?{re.escape(sub)}\}}?(?!\w)", answer)
        as_words = words and " ".join(words) in " ".join(answer.lower().replace("-", " ").split())
        if not as_symbol and not as_words:
            unnamed.append(f"{base}_{sub}")
    return unnamed
