"""The `elkctl` command group. Each sub-command lives in its own module and is added here."""

from __future__ import annotations

from typing import Any

import click

from elkctl.connection import ElkctlError, load_settings
from elkctl.errors import explain


def _configured_es_url() -> str:
    try:
        return load_settings().elasticsearch_url
    except ElkctlError:
        return "ELASTICSEARCH_URL"


class ElkctlGroup(click.Group):
    """A group whose sub-commands just raise: known failures become `elkctl: <reason>`, exit 1.

    Unknown exceptions are bugs and keep their traceback.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            reason = explain(exc, _configured_es_url())
            if reason is None:
                raise
            click.echo("elkctl: " + " ".join(reason.split()), err=True)
            ctx.exit(getattr(exc, "exit_code", 1) if isinstance(exc, ElkctlError) else 1)


@click.group(cls=ElkctlGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="python-logging-elk")
def cli() -> None:
    """Operate the Elasticsearch/Logstash/Kibana/Filebeat logging stack."""


def main() -> None:
    cli()


# Sub-commands: one import + add_command per feature, below this line.
from elkctl.setup_cmd import setup  # noqa: E402

cli.add_command(setup)
from elkctl.status_cmd import status  # noqa: E402

cli.add_command(status)
from elkctl.verify_cmd import verify  # noqa: E402

cli.add_command(verify)
from elkctl.doctor_cmd import doctor  # noqa: E402

cli.add_command(doctor)

from elkctl.error_tracking.commands import errors  # noqa: E402

cli.add_command(errors)
