"""The reference set (labelled/reference-wallets.csv) tells the truth and gives no case away."""

import json

from chaintrace import load_dataset, paths, truth


def test_reference_set_agrees_with_ground_truth_and_avoids_cases():
    ref = load_dataset("course").reference_wallets
    gt = truth.load()
    assert len(ref) > 500 and ref["wallet"].nunique() > 100, "enough wallets to measure on"
    known = gt.transactions.set_index("txid").loc[ref["txid"]]
    assert (known["change_vout"].to_numpy() == ref["change_vout"].to_numpy()).all()
    entities = gt.entities.set_index("entity_id").loc[known["entity_id"]]
    assert (entities["kind"] == "individual").all()
    assert not entities["wallet"].isin(["wasabi", "samourai"]).any()
    # one pseudonym per wallet, and no wallet that any case is about
    assert (
        ref.groupby("wallet")["txid"].apply(lambda t: known.loc[t, "entity_id"].nunique()) == 1
    ).all()
    stated = set()
    for path in (paths.groundtruth_dir("course") / "cases").glob("*.json"):
        stated |= {v for v in json.loads(path.read_text()).values() if isinstance(v, str)}
    case_owners = set(gt.addresses.loc[gt.addresses["address"].isin(stated), "entity_id"])
    assert not set(known["entity_id"]) & case_owners
    assert not set(ref["txid"]) & stated
