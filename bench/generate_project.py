"""Generate a synthetic dbt project of N models for benchmarks (reproducible: seeded).

Layers: seeds (raw customers and orders) -> staging -> intermediate -> marts. The SQL uses
what real projects use and column lineage must see through: CTEs, joins, renames,
`select *` (also `* exclude`), unions, aggregates, CASE/COALESCE, and a few models with
Jinja beyond ref(): a project macro, `{% set %}`/`{% for %}`/`{% if var() %}` (rendered
in-process) and an adapter-dispatched `dbt.current_timestamp()` (only `dbt compile`).
Properties YAML declares every column with `data_type`; PII columns are classified in
`meta.floe` in staging, while some derived PII columns downstream (`contact_email`,
`full_name`, ...) are deliberately left unclassified.

    python bench/generate_project.py OUT_DIR [--models 5000] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

PROJECT = "bench"
_CHUNK = 100  # models per folder (and per properties file)

# Column semantics that the templates look up, independent of a column's current name.
_PII = {
    "first_name": ("name", "medium"),
    "last_name": ("name", "medium"),
    "email": ("email", "high"),
    "phone": ("phone", "high"),
    "birth_date": ("birth_date", "high"),
    "ip_address": ("ip_address", "medium"),
}


@dataclass(frozen=True)
class Col:
    name: str
    data_type: str
    sem: str  # what the value is: "email", "customer_id", "amount", ...
    classification: str | None = None  # "pii" | "financial" when the model declares it


@dataclass
class Model:
    name: str
    entity: str  # "customer" | "order" | "country"
    layer: str
    cols: list[Col]
    sql: str = ""
    described: bool = True
    extra: dict[str, object] = field(default_factory=dict)

    def col(self, sem: str) -> Col | None:
        return next((c for c in self.cols if c.sem == sem), None)

    def names(self) -> set[str]:
        return {c.name for c in self.cols}


_CUSTOMER_SEED = [
    ("id", "integer"),
    ("first_name", "varchar"),
    ("last_name", "varchar"),
    ("email", "varchar"),
    ("phone", "varchar"),
    ("birth_date", "varchar"),
    ("ip_address", "varchar"),
    ("country", "varchar"),
    ("created_at", "varchar"),
    ("segment", "varchar"),
    ("score", "double"),
]
_ORDER_SEED = [
    ("id", "integer"),
    ("customer_id", "integer"),
    ("ordered_at", "varchar"),
    ("status", "varchar"),
    ("amount_cents", "integer"),
    ("card_last4", "varchar"),
    ("channel", "varchar"),
    ("discount_cents", "integer"),
]


def _classified(name: str, data_type: str, sem: str, classify: bool) -> Col:
    if classify and sem in _PII:
        return Col(name, data_type, sem, "pii")
    if classify and sem == "card_last4":
        return Col(name, data_type, sem, "financial")
    return Col(name, data_type, sem)


class Generator:
    def __init__(self, models: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.total = models
        self.seeds: list[tuple[str, str]] = []  # (name, entity)
        self.models: list[Model] = []
        self.by_layer: dict[tuple[str, str], list[Model]] = {}

    # -- picking parents -------------------------------------------------------------------

    def _pick(self, entity: str, layers: tuple[str, ...], recent: int = 200) -> Model:
        """One of the last `recent` models of these layers (in layer order), at random.

        Only those are copied: copying the whole pool made 50,000 models take many minutes."""
        groups = [self.by_layer.get((layer, entity), []) for layer in layers]
        pool: list[Model] = []
        for group in reversed(groups):  # the concatenation's tail, from its end
            pool[:0] = group[-(recent - len(pool)) :]
            if len(pool) == recent:
                break
        return self.rng.choice(pool)

    def _add(self, model: Model) -> None:
        self.models.append(model)
        self.by_layer.setdefault((model.layer, model.entity), []).append(model)

    # -- layers ----------------------------------------------------------------------------

    def generate(self) -> None:
        n_seeds = max(2, self.total // 100)
        self.seeds = [
            (
                f"raw_{'customers' if i % 2 == 0 else 'orders'}_{i:03d}",
                "customer" if i % 2 == 0 else "order",
            )
            for i in range(n_seeds)
        ]
        n_staging = max(2, int(self.total * 0.3))
        n_marts = max(1, int(self.total * 0.25))
        n_intermediate = max(1, self.total - n_staging - n_marts)
        for i in range(n_staging):
            self._staging(i)
        for i in range(n_intermediate):
            self._intermediate(i)
        for i in range(n_marts):
            self._mart(i)

    def _staging(self, i: int) -> None:
        entity = "customer" if i % 2 == 0 else "order"
        seed = self.rng.choice([s for s, e in self.seeds if e == entity])
        name = f"stg_{entity}s_{i:05d}"
        jinja = self.rng.random() < 0.02
        if entity == "customer":
            cols = [
                Col("customer_id", "integer", "customer_id"),
                _classified("first_name", "varchar", "first_name", True),
                _classified("last_name", "varchar", "last_name", True),
                _classified("email", "varchar", "email", True),
                _classified("phone", "varchar", "phone", True),
                _classified("birth_date", "date", "birth_date", True),
                _classified("ip_address", "varchar", "ip_address", True),
                Col("country", "varchar", "country"),
                Col("signed_up_on", "date", "date"),
                Col("segment", "varchar", "segment"),
                Col("score", "double", "score"),
            ]
            sql = (
                "select\n    id as customer_id,\n    first_name,\n    last_name,\n"
                "    lower(email) as email,\n    phone,\n"
                "    cast(birth_date as date) as birth_date,\n"
                "    ip_address,\n    upper(country) as country,\n"
                "    cast(created_at as date) as signed_up_on,\n"
                "    coalesce(segment, 'none') as segment,\n"
                f"    score\nfrom {{{{ ref('{seed}') }}}}\n"
            )
        else:
            cols = [
                Col("order_id", "integer", "order_id"),
                Col("customer_id", "integer", "customer_id"),
                Col("ordered_on", "date", "date"),
                Col("status", "varchar", "status"),
                Col("amount", "double", "amount"),
                _classified("card_last4", "varchar", "card_last4", True),
                Col("channel", "varchar", "channel"),
                Col("discount", "double", "discount"),
            ]
            amount = "{{ cents_to_dollars('amount_cents') }}" if jinja else "amount_cents / 100.0"
            # An adapter-dispatched macro: only `dbt compile` can render these few models.
            loaded = ""
            if self.rng.random() < 0.01:
                loaded = ",\n    {{ dbt.current_timestamp() }} as loaded_at"
                cols.append(Col("loaded_at", "timestamp", "date"))
            sql = (
                "{{ config(materialized='view') }}\n\n"
                "select\n    id as order_id,\n    customer_id,\n"
                "    cast(ordered_at as date) as ordered_on,\n    status,\n"
                f"    {amount} as amount,\n    card_last4,\n    channel,\n"
                f"    discount_cents / 100.0 as discount{loaded}\n"
                f"from {{{{ ref('{seed}') }}}}\n"
            )
        self._add(Model(name, entity, "staging", cols, sql))

    def _intermediate(self, i: int) -> None:
        roll = self.rng.random()
        layers = ("staging", "intermediate")
        if roll < 0.5:
            parent = self._pick("customer", layers)
            builders = [
                self._cte_rename,
                self._join_orders,
                self._exclude,
                self._union,
                self._derived,
            ]
            model = self.rng.choice(builders)(f"int_customers_{i:05d}", parent)
        else:
            parent = self._pick("order", layers)
            builders = [self._enrich_orders, self._filter_orders, self._jinja_orders]
            weights = [0.55, 0.43, 0.02]
            model = self.rng.choices(builders, weights)[0](f"int_orders_{i:05d}", parent)
        model.described = self.rng.random() < 0.9
        self._add(model)

    def _mart(self, i: int) -> None:
        roll = self.rng.random()
        if roll < 0.45:
            self._add(self._customer_mart(f"dim_customers_{i:05d}"))
        elif roll < 0.85:
            self._add(self._order_mart(f"fct_orders_{i:05d}"))
        else:
            parent = self._pick("customer", ("intermediate",))
            self._add(self._country_mart(f"agg_countries_{i:05d}", parent))

    # -- intermediate templates ---------------------------------------------------------------

    def _cte_rename(self, name: str, parent: Model) -> Model:
        renames = {"email": "contact_email", "phone": "contact_phone", "first_name": "given_name"}
        out, select = [], []
        for col in parent.cols:
            new = renames.get(col.name, col.name)
            if new != col.name and new not in parent.names():
                select.append(f"{col.name} as {new}")
                keep = self.rng.random() < 0.7  # the rest: derived PII left unclassified
                out.append(
                    replace(col, name=new, classification=col.classification if keep else None)
                )
            else:
                select.append(col.name)
                out.append(col)
        sql = (
            f"with source as (\n    select * from {{{{ ref('{parent.name}') }}}}\n),\n\n"
            "renamed as (\n    select\n        "
            + ",\n        ".join(select)
            + "\n    from source\n)\n\n"
            "select * from renamed\n"
        )
        return Model(name, "customer", "intermediate", out, sql)

    def _join_orders(self, name: str, parent: Model) -> Model:
        orders = self._pick("order", ("staging", "intermediate"))
        added = [
            Col("order_count", "bigint", "count"),
            Col("total_amount", "double", "amount_total"),
            Col("last_ordered_on", "date", "date"),
        ]
        if parent.names() & {c.name for c in added}:
            return self._exclude(name, parent)
        sql = (
            "with orders as (\n    select\n        customer_id,\n        count(*) as order_count,\n"
            "        sum(amount) as total_amount,\n        max(ordered_on) as last_ordered_on\n"
            f"    from {{{{ ref('{orders.name}') }}}}\n    where status <> 'returned'\n"
            "    group by customer_id\n)\n\n"
            "select\n    c.*,\n    coalesce(o.order_count, 0) as order_count,\n"
            "    o.total_amount,\n"
            f"    o.last_ordered_on\nfrom {{{{ ref('{parent.name}') }}}} as c\n"
            "left join orders as o on o.customer_id = c.customer_id\n"
        )
        return Model(name, "customer", "intermediate", parent.cols + added, sql)

    def _exclude(self, name: str, parent: Model) -> Model:
        ip = parent.col("ip_address")
        if ip is None:
            sql = f"select * from {{{{ ref('{parent.name}') }}}}\n"
            return Model(name, "customer", "intermediate", list(parent.cols), sql)
        sql = f"select * exclude ({ip.name})\nfrom {{{{ ref('{parent.name}') }}}}\n"
        return Model(name, "customer", "intermediate", [c for c in parent.cols if c is not ip], sql)

    def _union(self, name: str, parent: Model) -> Model:
        sql = (
            f"select * from {{{{ ref('{parent.name}') }}}} where country = 'DE'\n"
            f"union all\nselect * from {{{{ ref('{parent.name}') }}}} where country <> 'DE'\n"
        )
        return Model(name, "customer", "intermediate", list(parent.cols), sql)

    def _derived(self, name: str, parent: Model) -> Model:
        first, last, email = parent.col("first_name"), parent.col("last_name"), parent.col("email")
        if not (first and last and email):
            return self._exclude(name, parent)
        classify = self.rng.random() < 0.6
        cols = [
            Col("customer_id", "integer", "customer_id"),
            Col("full_name", "varchar", "full_name", "pii" if classify else None),
            replace(email, name="email_address", classification="pii" if classify else None),
            Col("score_band", "varchar", "band"),
            Col("country", "varchar", "country"),
            Col("segment", "varchar", "segment"),
            Col("score", "double", "score"),
        ]
        sql = (
            f"select\n    customer_id,\n    {first.name} || ' ' || {last.name} as full_name,\n"
            f"    {email.name} as email_address,\n"
            "    case when score > 0.5 then 'high' when score is null then 'unknown' else 'low' end"
            " as score_band,\n    country,\n    segment,\n    score\n"
            f"from {{{{ ref('{parent.name}') }}}}\n"
        )
        return Model(name, "customer", "intermediate", cols, sql)

    def _enrich_orders(self, name: str, parent: Model) -> Model:
        customer = self._pick("customer", ("staging",))
        if "customer_country" in parent.names():
            return self._filter_orders(name, parent)
        added = [Col("customer_country", "varchar", "country")]
        select = ["o.*", "c.country as customer_country"]
        email = customer.col("email")
        if email and "customer_email" not in parent.names():
            added.append(replace(email, name="customer_email", classification=None))
            select.append(f"c.{email.name} as customer_email")
        sql = (
            "select\n    " + ",\n    ".join(select) + "\n"
            f"from {{{{ ref('{parent.name}') }}}} as o\n"
            f"join {{{{ ref('{customer.name}') }}}} as c on c.customer_id = o.customer_id\n"
        )
        return Model(name, "order", "intermediate", parent.cols + added, sql)

    def _filter_orders(self, name: str, parent: Model) -> Model:
        card = parent.col("card_last4")
        select, out = [], []
        for col in parent.cols:
            if col is card and col.name == "card_last4" and "card_suffix" not in parent.names():
                select.append("card_last4 as card_suffix")
                out.append(replace(col, name="card_suffix"))
            else:
                select.append(col.name)
                out.append(col)
        sql = (
            f"with base as (\n    select * from {{{{ ref('{parent.name}') }}}}\n"
            "    where status in ('placed', 'shipped', 'completed')\n)\n\n"
            "select\n    " + ",\n    ".join(select) + "\nfrom base\n"
        )
        return Model(name, "order", "intermediate", out, sql)

    def _jinja_orders(self, name: str, parent: Model) -> Model:
        cols = [c.name for c in parent.cols]
        sql = (
            "{% set columns = " + repr(cols) + " %}\n"
            "select\n{% for column in columns %}    {{ column }}{{ ',' if not loop.last }}\n"
            "{% endfor %}"
            f"from {{{{ ref('{parent.name}') }}}}\n"
            "{% if var('only_completed', false) %}where status = 'completed'{% endif %}\n"
        )
        return Model(name, "order", "intermediate", list(parent.cols), sql)

    # -- marts ---------------------------------------------------------------------------------

    def _customer_mart(self, name: str) -> Model:
        parent = self._pick("customer", ("intermediate",))
        email = parent.col("email")
        cols = [Col("customer_id", "integer", "customer_id")]
        select = ["c.customer_id"]
        if email:
            classify = self.rng.random() < 0.8
            cols.append(
                replace(email, name="contact_email", classification="pii" if classify else None)
            )
            select.append(f"c.{email.name} as contact_email")
        for sem in ("country", "segment", "score"):
            col = parent.col(sem)
            if col:
                cols.append(col)
                select.append(f"c.{col.name}")
        sql = (
            "with customers as (\n    select * from {{ ref('" + parent.name + "') }}\n)\n\n"
            "select\n    " + ",\n    ".join(select) + ",\n"
            "    case when c.score >= 0.9 then 'vip' else 'regular' end as tier\n"
            "from customers as c\n"
        )
        cols.append(Col("tier", "varchar", "band"))
        return Model(name, "customer", "mart", cols, sql)

    def _order_mart(self, name: str) -> Model:
        orders = self._pick("order", ("intermediate",))
        customers = self._pick("customer", ("staging", "intermediate"))
        email = customers.col("email")
        cols = [
            Col("order_id", "integer", "order_id"),
            Col("customer_id", "integer", "customer_id"),
            Col("ordered_on", "date", "date"),
            Col("amount", "double", "amount"),
            Col("net_amount", "double", "amount"),
        ]
        select = [
            "o.order_id",
            "o.customer_id",
            "o.ordered_on",
            "o.amount",
            "o.amount - coalesce(o.discount, 0) as net_amount",
        ]
        if email:
            cols.append(replace(email, name="buyer_email", classification=None))
            select.append(f"c.{email.name} as buyer_email")
        sql = (
            "select\n    " + ",\n    ".join(select) + "\n"
            f"from {{{{ ref('{orders.name}') }}}} as o\n"
            f"left join {{{{ ref('{customers.name}') }}}} as c using (customer_id)\n"
        ).replace("o.customer_id,", "customer_id,", 1)
        return Model(name, "order", "mart", cols, sql)

    def _country_mart(self, name: str, parent: Model) -> Model:
        cols = [
            Col("country", "varchar", "country"),
            Col("customers", "bigint", "count"),
            Col("avg_score", "double", "score"),
        ]
        sql = (
            "select\n    country,\n    count(*) as customers,\n    avg(score) as avg_score\n"
            f"from {{{{ ref('{parent.name}') }}}}\ngroup by country\n"
        )
        return Model(name, "country", "mart", cols, sql)


# -- writing -------------------------------------------------------------------------------------


def _column_yaml(col: Col) -> dict[str, object]:
    entry: dict[str, object] = {"name": col.name, "data_type": col.data_type}
    if col.classification == "pii":
        pii_type, sensitivity = _PII.get(col.sem, ("name", "medium"))
        if col.sem == "full_name":
            pii_type, sensitivity = "name", "medium"
        entry["meta"] = {
            "floe": {"classification": "pii", "pii_type": pii_type, "sensitivity": sensitivity}
        }
    elif col.classification == "financial":
        entry["meta"] = {"floe": {"classification": "financial", "sensitivity": "high"}}
    return entry


def write_project(gen: Generator, out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    (out / "seeds").mkdir(parents=True)
    (out / "macros").mkdir()
    (out / "dbt_project.yml").write_text(
        f"name: {PROJECT}\nversion: '1.0'\nprofile: {PROJECT}\nconfig-version: 2\n"
        "model-paths: [models]\nseed-paths: [seeds]\nmacro-paths: [macros]\n"
        "models:\n  " + PROJECT + ":\n    +materialized: table\n"
    )
    (out / "floe.yaml").write_text(_FLOE_YAML)
    (out / "macros" / "cents_to_dollars.sql").write_text(
        "{% macro cents_to_dollars(column) %}({{ column }} / 100.0){% endmacro %}\n"
    )
    rng = random.Random(1)
    for seed, entity in gen.seeds:
        header = _CUSTOMER_SEED if entity == "customer" else _ORDER_SEED
        rows = [",".join(h for h, _ in header)]
        for r in range(3):
            rows.append(",".join(_seed_value(h, r, rng) for h, _ in header))
        (out / "seeds" / f"{seed}.csv").write_text("\n".join(rows) + "\n")
    for chunk_start in range(0, len(gen.models), _CHUNK):
        chunk = gen.models[chunk_start : chunk_start + _CHUNK]
        folder = out / "models" / chunk[0].layer / f"part_{chunk_start // _CHUNK:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        entries = []
        for model in chunk:
            (folder / f"{model.name}.sql").write_text(model.sql)
            if model.described:
                entries.append(
                    {
                        "name": model.name,
                        "description": f"{model.layer} model of {model.entity}s",
                        "columns": [_column_yaml(c) for c in model.cols],
                    }
                )
        properties = {"version": 2, "models": entries}
        (folder / "_properties.yml").write_text(yaml.safe_dump(properties, sort_keys=False))


def _seed_value(header: str, row: int, rng: random.Random) -> str:
    values = {
        "id": str(row + 1),
        "customer_id": str(rng.randint(1, 3)),
        "first_name": rng.choice(["Ada", "Linus", "Grace"]),
        "last_name": rng.choice(["Lovelace", "Torvalds", "Hopper"]),
        "email": f"user{row}@example.com",
        "phone": f"+49 30 {rng.randint(1000000, 9999999)}",
        "birth_date": "1990-01-0" + str(row + 1),
        "ip_address": f"10.0.0.{row + 1}",
        "country": rng.choice(["DE", "FR", "US"]),
        "created_at": "2024-05-0" + str(row + 1),
        "segment": rng.choice(["retail", "business"]),
        "score": f"{rng.random():.2f}",
        "ordered_at": "2024-06-0" + str(row + 1),
        "status": rng.choice(["placed", "shipped", "completed", "returned"]),
        "amount_cents": str(rng.randint(100, 99999)),
        "card_last4": f"{rng.randint(0, 9999):04d}",
        "channel": rng.choice(["web", "store"]),
        "discount_cents": str(rng.randint(0, 500)),
    }
    return values[header]


_FLOE_YAML = """\
name: bench
version: "1.0"
compute:
  target: duckdb
  properties:
    path: target/bench.duckdb
transforms:
  - type: dbt
    path: .
governance:
  classification_source: dbt_meta
  policies:
    pii:
      production:
        action: restrict
        requires_role: [pii_reader]
      non_production:
        action: mask
    financial:
      production:
        action: restrict
        requires_role: [finance]
      non_production:
        action: hash
"""


def generate(out: Path, models: int = 5000, seed: int = 7) -> Path:
    """Write the project to `out` (replacing it) and return `out`."""
    gen = Generator(models, seed)
    gen.generate()
    write_project(gen, out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--models", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    generate(args.out, args.models, args.seed)
    print(f"wrote a {args.models}-model dbt project to {args.out}")


if __name__ == "__main__":
    main()
