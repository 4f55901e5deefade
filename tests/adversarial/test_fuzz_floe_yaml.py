"""floe.yaml under 600 seeded mutations: a valid spec or a located exit 2, never a traceback.

Half the mutations change the parsed document (a value of another type, a deleted key, very
deep nesting) and write it back as YAML; half change the text itself (hostile YAML tags,
anchors, tabs, duplicate keys, control bytes, truncation). Each is loaded the way every
command loads it (app.spec_file.load_spec)."""

from __future__ import annotations

import random
import traceback
from pathlib import Path

import yaml

from floe_ci.app.spec_file import load_spec
from floe_ci.errors import FloeUsageError
from tests.adversarial.fuzzing import Hang, deadline, mutate
from tests.conftest import EXAMPLE_SHOP

MUTATIONS = 600
SEED = 15
SNIPPETS = [
    "!!python/object/apply:os.system ['true']",
    "&a [*a, *a]",
    "*undefined",
    "\t- tab",
    "name: again",
    "{{ env_var('X') }}",
    "\x00\x07",
    "? complex\n: key",
    "!!binary AAAA",
    "[" * 300,
    "2026-13-45",
    "0x" + "f" * 400,
    "- " * 200 + "deep",
    "\ufeff",
    "key: |\n  block",
]


def _text_mutation(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(lines) + 1)
        kind = rng.random()
        if kind < 0.5:
            indent = " " * rng.choice([0, 2, 4, 6, 8])
            lines.insert(at, indent + rng.choice(SNIPPETS))
        elif kind < 0.7 and lines:
            del lines[min(at, len(lines) - 1)]
        elif kind < 0.85 and lines:
            line = lines[min(at, len(lines) - 1)]
            cut = rng.randrange(len(line) + 1)
            lines[min(at, len(lines) - 1)] = line[:cut] + rng.choice(SNIPPETS) + line[cut:]
        else:
            return "\n".join(lines)[: rng.randrange(len(text))]
    return "\n".join(lines) + "\n"


def test_600_mutated_floe_yaml_files_load_or_give_a_located_exit_2(tmp_path: Path) -> None:
    text = (EXAMPLE_SHOP / "floe.yaml").read_text()
    document = yaml.safe_load(text)
    rng = random.Random(SEED)
    outcomes: dict[str, int] = {}
    failures: list[str] = []
    path = tmp_path / "floe.yaml"
    for i in range(MUTATIONS):
        if i % 2:
            mutated = mutate(document, rng)
            try:
                path.write_text(yaml.safe_dump(mutated, sort_keys=False))
            except (RecursionError, yaml.YAMLError):
                path.write_text("a: " + "[" * 10_000)
        else:
            path.write_bytes(_text_mutation(text, rng).encode("utf-8", "surrogatepass"))
        try:
            with deadline(20):
                load_spec(path, "floe.yaml")
            outcome = "valid"
        except FloeUsageError as exc:
            outcome = "exit 2"
            if not all(p.file == "floe.yaml" for p in exc.problems):
                failures.append(f"mutation {i}: a problem names no file: {exc}")
        except Hang:
            outcome = "hang"
            failures.append(f"mutation {i}: hang")
        except Exception:
            outcome = "traceback"
            failures.append(f"mutation {i}: {traceback.format_exc(limit=-3)}")
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    print(f"floe.yaml fuzzer (seed {SEED}): {outcomes}")
    assert failures == [], f"{len(failures)} of {MUTATIONS}:\n" + "\n".join(failures[:5])
    assert outcomes.get("exit 2", 0) > 200
