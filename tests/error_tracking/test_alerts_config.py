"""alerts.yml parsing: the shipped example parses; every mistake names its key."""

from pathlib import Path

import pytest
import yaml

from elkctl.error_tracking.alerts_config import (
    AlertsConfigError,
    EmailChannel,
    WebhookChannel,
    load_alerts_config,
    parse_alerts_config,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "scripts" / "alerts.example.yml"
ENV = {"ELK_SLACK_WEBHOOK_URL": "https://hooks.example.com/T1", "ELK_SMTP_PASSWORD": "pw"}


def test_example_parses():
    config = load_alerts_config(EXAMPLE, ENV)
    assert config.channels["team-slack"] == WebhookChannel(
        "team-slack", "https://hooks.example.com/T1", slack=True)
    email = config.channels["oncall-email"]
    assert isinstance(email, EmailChannel)
    assert (email.port, email.security, email.password) == (587, "starttls", "pw")
    burst = next(r for r in config.rules if r.name == "noisy-group")
    assert (burst.scope, burst.events, burst.within, burst.cooldown) == ("group", 20, 600, 3600)
    flood = next(r for r in config.rules if r.name == "critical-flood")
    assert (flood.severity, flood.cooldown) == ("critical", 3600)
    assert config.escalation_after == {"critical": 3600, "high": 14400, "medium": 28800}
    assert config.ownership[1].module == "app.billing.*"
    assert (config.retries, config.backoff) == (3, 2.0)


def example():
    return yaml.safe_load(EXAMPLE.read_text())


@pytest.mark.parametrize(
    ("mutate", "key", "fragment"),
    [
        (lambda c: c["rules"][2].update(within="10x"), "rules[2].within", "not a duration"),
        (lambda c: c["rules"][2].update(events=0), "rules[2].events", ">= 1"),
        (lambda c: c["rules"][0].update(channels=["nope"]), "rules[0].channels", "nope"),
        (lambda c: c["rules"][0].update(events=3), "rules[0].events", "threshold"),
        (lambda c: c["rules"][1].update(when="sometimes"), "rules[1].when", "not one of"),
        (lambda c: c["rules"][4].pop("within"), "rules[4].events", "within"),
        (lambda c: c["rules"].append(dict(c["rules"][0])), "rules", "used twice"),
        (lambda c: c["channels"]["oncall-email"].update(security="tls"),
         "channels.oncall-email.security", "starttls"),
        (lambda c: c["channels"]["oncall-email"].update(to=["nobody"]),
         "channels.oncall-email.to", "email"),
        (lambda c: c["channels"]["incident-hook"].update(url="ftp://x"),
         "channels.incident-hook.url", "http"),
        (lambda c: c["escalation"]["after"].update(low="1h"), "escalation.after.low", "unknown"),
        (lambda c: c["ownership"].append({"owner": "x"}), "ownership[3]", "at least one"),
        (lambda c: c.update(lookbak="1h"), "lookbak", "unknown key"),
    ],
)
def test_mistakes_name_the_key(mutate, key, fragment):
    raw = example()
    mutate(raw)
    with pytest.raises(AlertsConfigError) as caught:
        parse_alerts_config(raw, ENV)
    assert caught.value.key == key
    assert fragment in str(caught.value)


def test_missing_secret_variable_names_the_key():
    with pytest.raises(AlertsConfigError) as caught:
        parse_alerts_config(example(), {"ELK_SMTP_PASSWORD": "pw"})
    assert caught.value.key == "channels.team-slack.url_env"
    assert "ELK_SLACK_WEBHOOK_URL" in str(caught.value)


def test_unreadable_and_invalid_files(tmp_path):
    with pytest.raises(AlertsConfigError, match="cannot read"):
        load_alerts_config(tmp_path / "missing.yml", ENV)
    bad = tmp_path / "bad.yml"
    bad.write_text("rules: [\n")
    with pytest.raises(AlertsConfigError, match="not valid YAML"):
        load_alerts_config(bad, ENV)


def test_readme_sample_parses():
    readme = (EXAMPLE.parents[1] / "README.md").read_text()
    section = readme.split("<!-- section: errors -->")[1].split("<!-- /section: errors -->")[0]
    sample = section.split("```yaml\n")[1].split("```")[0]
    config = parse_alerts_config(yaml.safe_load(sample), ENV)
    assert [r.name for r in config.rules] == [
        "new-error-group", "regression", "noisy-group", "critical-flood"]
    assert config.rules[3].cooldown == 3600
