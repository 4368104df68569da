"""`elkctl setup`: bootstrap security, lifecycle and Kibana objects; idempotent."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console

from elkctl.connection import KibanaClient, Settings, elasticsearch_client, load_settings
from elkctl.definitions import definitions_root, load_es_definitions
from elkctl.es_resources import ElasticsearchStore
from elkctl.es_setup import apply_elasticsearch, elasticsearch_probe, plan_elasticsearch
from elkctl.kibana_setup import kibana_probe, load_kibana_objects, provision_kibana
from elkctl.plan import IMPORT, Change, plan_table
from elkctl.waiting import wait_until


def placeholders(settings: Settings) -> dict[str, str]:
    """Values for `${NAME}` in the definition files."""
    return {"LOG_RETENTION_DAYS": str(settings.log_retention_days)}


def kibana_rows(objects: list[dict[str, Any]]) -> list[Change]:
    return [
        Change(f"kibana {obj['type']}", obj["id"], IMPORT, str(obj["attributes"].get("title", "")))
        for obj in objects
    ]


@click.command("setup")
@click.option("--dry-run", is_flag=True, help="Print the plan; send no mutating request.")
@click.option("--skip-kibana", is_flag=True, help="Only bootstrap Elasticsearch.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds to wait for Elasticsearch/Kibana to start [default: ELKCTL_WAIT_TIMEOUT, 180].",
)
def setup(dry_run: bool, skip_kibana: bool, timeout: float | None) -> None:
    """Create users, roles, ILM policy, templates and Kibana objects (only what differs)."""
    console = Console()
    settings = load_settings()
    timeout = timeout or settings.wait_timeout
    # Read every definition first: a broken file fails before any request is sent.
    root = definitions_root()
    definitions = load_es_definitions(root, placeholders(settings))
    objects = [] if skip_kibana else load_kibana_objects(root)

    client = elasticsearch_client(settings)
    url = settings.elasticsearch_url
    version = wait_until(
        lambda: elasticsearch_probe(client, url), what=f"Elasticsearch at {url}", timeout=timeout
    )
    console.print(f"Elasticsearch {version} at {url}")
    store = ElasticsearchStore(client)
    changes = plan_elasticsearch(definitions, store, settings)
    title = "elkctl setup plan" + (" (dry run)" if dry_run else "")
    console.print(plan_table([*changes, *kibana_rows(objects)], title))
    pending = sum(change.mutates for change in changes)
    console.print(f"Elasticsearch: {pending} to change, {len(changes) - pending} unchanged")
    if dry_run:
        console.print("Dry run: no change sent.")
        return

    apply_elasticsearch(changes, store)
    if objects:
        kibana = KibanaClient(settings)
        wait_until(
            lambda: kibana_probe(kibana), what=f"Kibana at {settings.kibana_url}", timeout=timeout
        )
        imported = provision_kibana(kibana, objects, timeout=timeout)
        console.print(f"Kibana: {imported} saved objects imported (overwrite)")
    console.print("Setup complete.")
