"""The `elkctl` command group. Each sub-command lives in its own module and is added here."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="python-logging-elk")
def cli() -> None:
    """Operate the Elasticsearch/Logstash/Kibana/Filebeat logging stack."""


def main() -> None:
    cli()

from elkctl.cleanup.command import cleanup  # noqa: E402

cli.add_command(cleanup)
