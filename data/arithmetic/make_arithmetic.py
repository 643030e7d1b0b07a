"""Write the course's GSM8K-style word problems: data/arithmetic/{train,test}.jsonl (question, answer).

Like GSM8K (openai/gsm8k, "main"), each answer is a worked solution whose calculations are marked
<<a+b=c>> and whose last line is "#### <number>". The problems are about the people and products of
the course's invented world (data/world.py); they take one to three steps of +, -, x and / on
small whole numbers, and every answer is computed by this script, so every gold answer is right.
The question often holds a number that the answer does not use directly (a distractor), and the
numbers never appear in the order the operations need, so "add the numbers" or "take the last
number" rarely work (tools/baselines.py measures them).

    python data/arithmetic/make_arithmetic.py
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from world import FEMALE_NAMES, FIRST_NAMES, PRODUCTS, with_article, write_jsonl  # noqa: E402


def plural(noun: str) -> str:
    return noun + ("es" if noun.endswith(("s", "x", "ch", "sh")) else "s")


def problem(rng: random.Random) -> tuple[str, list[str], int]:
    name, other = rng.sample(FIRST_NAMES, 2)
    she = "She" if name in FEMALE_NAMES else "He"
    item = rng.choice(PRODUCTS)
    thing = plural(item)
    kind = rng.choice(["buy_give", "boxes_sold", "share", "week", "price_change", "rows_left"])
    if kind == "buy_give":
        a, b, c = rng.randint(5, 30), rng.randint(2, 20), rng.randint(2, 12)
        c = min(c, a + b - 1)
        q = (f"{name} has {a} {thing}. {she} buys {b} more at the market and then gives {c} to {other}. "
             f"How many {thing} does {name} have now?")
        steps = [f"After buying, {name} has {a} + {b} = <<{a}+{b}={a + b}>>{a + b} {thing}.",
                 f"After giving {c} away, {name} has {a + b} - {c} = <<{a + b}-{c}={a + b - c}>>{a + b - c} {thing}."]
        return q, steps, a + b - c
    if kind == "boxes_sold":
        boxes, per, sold = rng.randint(2, 9), rng.randint(3, 12), rng.randint(1, 10)
        total = boxes * per
        sold = min(sold, total - 1)
        q = (f"A shop in town received {boxes} boxes of {thing}, with {per} {thing} in each box. "
             f"By noon {sold} {thing} were sold. How many {thing} are left?")
        steps = [f"The shop received {boxes} * {per} = <<{boxes}*{per}={total}>>{total} {thing}.",
                 f"{total} - {sold} = <<{total}-{sold}={total - sold}>>{total - sold} {thing} are left."]
        return q, steps, total - sold
    if kind == "share":
        people, each, extra = rng.randint(2, 6), rng.randint(2, 9), rng.randint(1, 9)
        total = people * each + extra
        q = (f"{name} has {total} {thing} and keeps {extra} of them. {she} shares the rest equally among "
             f"{people} friends. How many {thing} does each friend get?")
        steps = [f"{name} shares {total} - {extra} = <<{total}-{extra}={total - extra}>>{total - extra} {thing}.",
                 f"Each friend gets {total - extra} / {people} = <<{total - extra}/{people}={each}>>{each} {thing}."]
        return q, steps, each
    if kind == "week":
        per_day, days, broken = rng.randint(2, 15), rng.randint(3, 7), rng.randint(1, 9)
        made = per_day * days
        broken = min(broken, made - 1)
        q = (f"A workshop makes {per_day} {thing} every day for {days} days. {broken} of them are broken and "
             f"thrown away. {other} buys all the others. How many {thing} does {other} buy?")
        steps = [f"The workshop makes {per_day} * {days} = <<{per_day}*{days}={made}>>{made} {thing}.",
                 f"{other} buys {made} - {broken} = <<{made}-{broken}={made - broken}>>{made - broken} {thing}."]
        return q, steps, made - broken
    if kind == "price_change":
        price, rise, count = rng.randint(3, 20), rng.randint(2, 6), rng.randint(2, 8)
        new = price + rise
        q = (f"{with_article(item).capitalize()} at {other}'s shop used to cost {price} dollars. "
             f"The price went up by {rise} dollars. How many dollars does {name} pay for {count} of them now?")
        steps = [f"The new price is {price} + {rise} = <<{price}+{rise}={new}>>{new} dollars.",
                 f"{count} of them cost {count} * {new} = <<{count}*{new}={count * new}>>{count * new} dollars."]
        return q, steps, count * new
    rows, per_row, taken, more = rng.randint(2, 8), rng.randint(3, 10), rng.randint(1, 9), rng.randint(2, 9)
    total = rows * per_row
    taken = min(taken, total - 1)
    q = (f"{name} puts {thing} on {rows} shelves, {per_row} on each shelf. {other} takes {taken} of them, "
         f"and then {name} adds {more} new ones. How many {thing} are on the shelves?")
    steps = [f"At first there are {rows} * {per_row} = <<{rows}*{per_row}={total}>>{total} {thing}.",
             f"After {other} takes some, {total} - {taken} = <<{total}-{taken}={total - taken}>>{total - taken} are left.",
             f"With the new ones, {total - taken} + {more} = <<{total - taken}+{more}={total - taken + more}>>"
             f"{total - taken + more} {thing} are on the shelves."]
    return q, steps, total - taken + more


def check(steps: list[str], answer: int) -> None:
    """Every <<expression=value>> annotation is right and the last one is the answer."""
    last = None
    for s in steps:
        expr, value = s.split("<<")[1].split(">>")[0].split("=")
        assert eval(expr) == int(value), s  # noqa: S307  (our own arithmetic on digits and + - * /)
        last = int(value)
    assert last == answer


def make_split(seed: int, n: int, exclude: set[str]) -> list[dict]:
    rng = random.Random(seed)
    rows, seen = [], set(exclude)
    while len(rows) < n:
        q, steps, ans = problem(rng)
        if q in seen:
            continue
        check(steps, ans)
        seen.add(q)
        rows.append({"question": q, "answer": "\n".join(steps) + f"\n#### {ans}"})
    return rows


def main() -> None:
    train = make_split(41, 400, set())
    test = make_split(42, 200, {r["question"] for r in train})
    for name, rows in {"train": train, "test": test}.items():
        write_jsonl(HERE / f"{name}.jsonl", rows)
        print(f"{name}: {len(rows)} problems")


if __name__ == "__main__":
    main()
