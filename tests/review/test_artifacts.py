"""A flow run's Prefect artifacts for the review meeting (flows/shell.py): a link to the review
pack (file://) and a table of the headline figures with their week-over-week change."""
from __future__ import annotations

import datetime as dt
import json

from builders import dataset
from prefect.artifacts import Artifact

from flows.nightly_refresh import nightly_refresh
from schemas.config import RunOptions

AS_OF = dt.date(2026, 3, 1)


def test_a_run_links_its_pack_and_tables_its_headline_changes(prefect_api, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    raw = dataset(leads=[{"lead_id": f"L{i}"} for i in range(40)],
                  deals=[{"deal_id": "D1", "stage": "won", "closed_at": "2026-02-26T00:00:00Z"}])
    for name, frame in raw.items():
        frame.to_csv(drop / f"{name}.csv", index=False)
    config = tmp_path / "config.yaml"
    config.write_text(f"warehouse: sqlite:///{tmp_path / 'w.db'}\nreports_dir: {tmp_path / 'reports'}\n"
                      f"sources:\n  files:\n    path: {drop}\n", encoding="utf-8")
    result = nightly_refresh(as_of=AS_OF, options=RunOptions(config=str(config)))
    assert result.status == "completed"
    pack = tmp_path / "reports" / f"review-{AS_OF}.html"
    assert pack.is_file()
    link = Artifact.get("opsmetrics-review-pack")
    assert link.data == f"[Review pack as of {AS_OF}]({pack.as_uri()})"  # Prefect keeps a link as markdown
    table = Artifact.get("opsmetrics-headline-changes")
    rows = json.loads(table.data)
    customers = next(r for r in rows if r["metric"] == "Customers")
    # the deal won on 2026-02-26 made the one customer: 0 a week before (2026-02-22), 1 now
    assert customers == {"metric": "Customers", "value": "1", "a week before": "0", "change": "+1",
                         "change %": "–", "direction": "higher is better"}
