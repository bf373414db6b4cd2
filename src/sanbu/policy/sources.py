"""Where each rule comes from (POLICY.md), shown to every user a rule blocks or warns."""

SOURCES: dict[str, str] = {
    "CAT-1": "002 篇四 四(二)；004 关键词八；002 篇五 四",
    "CAT-2": "002 篇四 四(二)；002 篇三 第三十七条(一)",
    "CAT-3": "002 篇四 四(二)；002 篇五 二",
    "CAT-4": "002 篇四 四(二)（定政发〔2023〕14号：注册、挂接、发布）",
    "CAT-5": "002 篇三 第十一条（赣府厅发〔2023〕12号）",
    "CAT-6": "002 篇三 第十一条（赣府厅发〔2023〕12号）",
    "CAT-7": "002 篇四 五(一)(二)",
    "CAT-8": "002 篇八 一(四)",
}


def source_of(rule_id: str) -> str:
    return SOURCES.get(rule_id, "POLICY.md")
