"""``sanbu policy``: evaluate a gate (S A F K O) or check (C E) from a facts file, print the JSON Schema of
a gate's facts, list rulesets."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sanbu.policy.facts import FactsError, from_json, json_schema
from sanbu.policy.gates import LETTERS, TITLES, evaluate, facts_class
from sanbu.policy.rulesets import RulesetError, available, load

GATE_HELP = "关口：" + "、".join(f"{k} {TITLES[k]}" for k in LETTERS)


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)


class Command(BaseCommand):
    help = (
        "Policy core: `evaluate --ruleset NAME --gate S|A|F|K|O|C|E --facts FILE.json` prints the decisions as "
        "JSON; `schema [--gate G]` prints the JSON Schema of that gate's facts (S and A: ProjectFacts); "
        "`rulesets` lists the rulesets. Bad input exits 2."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ev = sub.add_parser("evaluate", help="按规则集评估项目关口，输出 JSON 决定")
        ev.add_argument("--ruleset", default="default", help="规则集名称（默认 default）")
        ev.add_argument("--gate", required=True, choices=LETTERS, help=GATE_HELP)
        ev.add_argument("--facts", required=True, help="事实 JSON 文件（见 `sanbu policy schema --gate G`）")
        sc = sub.add_parser("schema", help="输出某关口事实的 JSON Schema（默认 S/A 的项目事实）")
        sc.add_argument("--gate", default="S", choices=LETTERS, help=GATE_HELP)
        sub.add_parser("rulesets", help="列出规则集及其上级规则集")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "schema":
            self.stdout.write(_dump(json_schema(facts_class(options["gate"]))))
        elif action == "rulesets":
            rows = [{"name": r.name, "parent": r.parent, "title": r.title, "chain": list(r.chain),
                     "rules": {k: v.enabled for k, v in r.rules.items()}} for r in available()]  # fmt: skip
            self.stdout.write(_dump(rows))
        else:
            self.stdout.write(_dump(self._evaluate(options["ruleset"], options["gate"], options["facts"])))

    def _evaluate(self, ruleset_name: str, gate: str, facts_path: str) -> dict[str, Any]:
        try:
            ruleset = load(ruleset_name)
        except RulesetError as e:
            raise CommandError(str(e), returncode=2) from None
        try:
            data = json.loads(Path(facts_path).read_text(encoding="utf-8"))
        except OSError:
            raise CommandError(f"无法读取事实文件“{facts_path}”。", returncode=2) from None
        except ValueError as e:
            raise CommandError(f"事实文件“{facts_path}”不是有效的 JSON：{e}", returncode=2) from None
        try:
            facts = from_json(data, facts_class(gate))
            decisions = evaluate(gate, facts, ruleset)
        except FactsError as e:
            raise CommandError(f"事实与 schema 不符，字段 {e.field}：{e.message}", returncode=2) from None
        return {
            "ruleset": ruleset.name,
            "chain": list(ruleset.chain),
            "gate": gate,
            "blocked": any(d.blocks for d in decisions),
            "decisions": [d.as_dict() for d in decisions],
        }
