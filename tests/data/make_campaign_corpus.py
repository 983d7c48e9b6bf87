"""Write tests/data/campaigns_labelled.jsonl: form-letter campaigns with realistic edits, and independent comments.

Six campaign letters written for this corpus; each member is its letter with the edits people make when they send a
form letter: a personal sentence added, a word or two changed, a sentence dropped, sentences reordered, a sign-off.
Independent comments are each their own (label "own-N"); some borrow one sentence from a campaign letter, as people
do when they agree with one point but write the rest themselves. Deterministic. Run it to rewrite the file.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

MEMBERS = 25
LETTERS = {
    "parks": [
        "I oppose the plan to sell the regional parks.",
        "They belong to everyone and cannot be bought back once they are gone.",
        "Future generations deserve the same green spaces that we enjoyed as children.",
        "Please remove clause 4 and keep every park in public hands.",
    ],
    "library": [
        "The proposal to close the branch library on Saturdays will hurt working families.",
        "Many people can only visit at the weekend.",
        "The library is a warm safe place for children and older people.",
        "Keep the Saturday hours and find the savings somewhere else.",
    ],
    "cycleway": [
        "I support the harbour cycleway and ask you to fund it this year.",
        "A separated path will let children ride to school safely.",
        "It will cut traffic on the coast road and lower emissions.",
        "Every year of delay makes it cost more to build.",
    ],
    "fluoride": [
        "I do not consent to adding fluoride to our town water supply.",
        "People should be free to choose what goes into their bodies.",
        "Dental health can be improved by education and free check-ups instead.",
        "Hold a binding referendum before any change is made.",
    ],
    "dogs": [
        "Dogs should be allowed off the lead on the northern beach before nine in the morning.",
        "Responsible owners need somewhere to exercise their dogs.",
        "The birds nest at the southern end, far from where dogs would run.",
        "A time rule is fairer than a total ban.",
    ],
    "rates": [
        "The proposed rates rise of twelve percent is more than households can bear.",
        "Pensioners on fixed incomes will have to choose between rates and food.",
        "The council should cut its consultants and vanity projects first.",
        "Limit any rise to the rate of inflation.",
    ],
}
PERSONAL = [
    "I have lived here for thirty years.",
    "My grandchildren visit every summer.",
    "I am a nurse and a mother of two.",
    "We moved here last year for the schools.",
    "I run a small business on the main street.",
    "Please listen to us this time.",
    "This is very important to my whānau.",
    "I walk there every day.",
]
SWAPS = [
    ("everyone", "all of us"),
    ("children", "kids"),
    ("please", "kindly"),
    ("will", "would"),
    ("people", "residents"),
    ("cut", "reduce"),
    ("safe", "secure"),
    ("year", "budget year"),
]
OWN = [
    "The bus timetable leaves workers stranded after six and the new depot is pointless for the eastern suburbs.",
    "Clause 3 should define what counts as a public event so organisers know when a permit is needed.",
    "I would like the council to publish the water testing results every month on its website.",
    "The draft says nothing about how disabled people will reach the new civic centre from the car park.",
    "Our street floods every winter because the drains are blocked with leaves and nobody clears them.",
    "Please add a sunset clause so the new bylaw is reviewed in five years and not left forever.",
    "The map in appendix B has the wrong boundary for the industrial zone near the railway.",
    "Freedom camping at the river mouth has left rubbish everywhere and the toilets are always locked.",
    "More shade trees at the playground would make it usable on hot afternoons.",
    "I agree.",
    "Good idea.",
    "No.",
    "The consultation period is too short for community boards that meet once a month.",
    "Street names in the new subdivision should honour the people who lived on this land first.",
    "The cost estimates in section 6 look old and should be updated for current prices.",
]

BORROWERS = {
    "parks": "What worries me more is the state of the toilets at the domain, which have been closed since March.",
    "library": "I would also like the mobile library van to visit the rural schools again on Thursdays.",
    "cycleway": "My own concern is the car parking that the path would remove outside the dairy on Beach Road.",
    "fluoride": "Separately, the water main on my street has burst three times this year and needs replacing.",
    "dogs": "I also want the council to fix the broken steps down to the sand at the end of Kowhai Street.",
    "rates": "On another matter, the new rubbish bins are too small for a family of six like ours.",
}


def edit(letter: list[str], rng: random.Random) -> str:
    sentences = list(letter)
    if rng.random() < 0.4:
        sentences.pop(rng.randrange(1, len(sentences)))  # a sentence dropped (never the first)
    if rng.random() < 0.4:
        i, j = rng.sample(range(len(sentences)), 2)
        sentences[i], sentences[j] = sentences[j], sentences[i]  # reordered
    text = " ".join(sentences)
    for _ in range(rng.choice((0, 1, 2))):
        old, new = rng.choice(SWAPS)
        text = text.replace(old, new, 1)  # a word or two changed
    if rng.random() < 0.6:
        text = rng.choice(PERSONAL) + " " + text if rng.random() < 0.5 else text + " " + rng.choice(PERSONAL)
    if rng.random() < 0.3:
        text += " Ngā mihi."
    return text


def build(seed: int = 7) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows = [
        {"label": name, "text": edit(letter, rng)} for name, letter in LETTERS.items() for _ in range(MEMBERS)
    ]
    for n, text in enumerate(OWN):
        rows.append({"label": f"own-{n}", "text": text})
    # Independent comments that borrow one sentence of a campaign letter and write the rest themselves.
    for name, letter in LETTERS.items():
        borrowed = rng.choice(letter)
        rows.append({"label": f"borrow-{name}", "text": f"{borrowed} {BORROWERS[name]}"})
    rng.shuffle(rows)
    return rows


if __name__ == "__main__":
    target = Path(__file__).with_name("campaigns_labelled.jsonl")
    with target.open("w", encoding="utf-8") as out:
        for row in build():
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {target}")
