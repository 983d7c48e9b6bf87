"""Write tests/data/themes_labelled.jsonl: comments in this project's own words, each labelled with its theme.

Each comment is put together from short sentences written for this corpus: one or two that carry the theme, and
often one of the general remarks people add to any submission (which belong to no theme and make the task
harder). Deterministic: the same seed writes the same file. Run: python tests/data/make_theme_corpus.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

PER_THEME = 45
GENERAL = [
    "Thank you for the chance to have my say.",
    "I have lived in this district for most of my life.",
    "Please read every submission carefully.",
    "I am writing as a parent and a ratepayer.",
    "This matters to my family and my neighbours.",
    "I hope the council listens this time.",
    "Kia ora koutou, here are my thoughts.",
    "I support the general direction of the draft.",
]
THEMES: dict[str, list[str]] = {
    "water": [
        "The river is too polluted to swim in most summers.",
        "Farm runoff keeps fouling the streams near us.",
        "Our drinking water should be tested far more often.",
        "Stormwater overflows send sewage into the harbour after heavy rain.",
        "Protect the wetlands that filter water for the whole catchment.",
        "Fish and eels are disappearing from the awa.",
        "Nitrate levels in the groundwater worry me.",
        "The lake has had algal blooms three years running.",
    ],
    "housing": [
        "Rents have climbed far faster than wages here.",
        "Young families cannot afford to buy a first home.",
        "We need more social housing built close to jobs.",
        "Boarding houses are overcrowded and cold in winter.",
        "Allow more townhouses and apartments near the centre.",
        "Landlords should have to insulate their rental homes properly.",
        "Homelessness in the town has grown every year.",
        "Empty houses held for speculation should be taxed.",
    ],
    "transport": [
        "The buses are too infrequent to rely on for work.",
        "A train link to the city would take cars off the road.",
        "Bus fares should be free for students and pensioners.",
        "Park and ride sites are always full by eight.",
        "Timetables do not line up between the bus routes.",
        "Evening public transport stops far too early.",
        "Put bus shelters at every stop on the main route.",
        "Ferries across the harbour should run on weekends too.",
    ],
    "privacy": [
        "My personal information must not be shared without consent.",
        "Agencies should say exactly how long they keep our data.",
        "Facial recognition cameras in public places go too far.",
        "Data breaches must be reported to the people affected straight away.",
        "I want the right to see and correct records held about me.",
        "Selling customer data to marketers should be banned.",
        "Health records need the strongest protection of all.",
        "Algorithms that make decisions about people must be explainable.",
    ],
    "reo": [
        "Signs and forms should be in te reo Māori as well as English.",
        "Fund more kura kaupapa and reo immersion classes.",
        "Place names should use the correct Māori spelling with macrons.",
        "Council staff should be supported to learn te reo.",
        "Iwi and hapū must be partners in the decisions, not an afterthought.",
        "Tikanga should guide how wāhi tapu are cared for.",
        "Kaumātua should be paid for the advice they give.",
        "Broadcast council meetings with reo interpretation.",
    ],
    "rates": [
        "Rates have gone up again and pensioners are struggling.",
        "Cut the consultants before raising rates any further.",
        "Spread the cost of new pipes across the generations with borrowing.",
        "Targeted rates for the new stadium are unfair on renters.",
        "Publish what every department spends each year.",
        "A rates rebate for low incomes would help many households.",
        "Debt levels are too high for a council this size.",
        "User charges should cover the cost of the marina, not general rates.",
    ],
    "health": [
        "Waiting lists at the hospital are far too long.",
        "We cannot get an appointment with a GP for weeks.",
        "Mental health services for young people are stretched thin.",
        "The emergency department is understaffed at night.",
        "Rural clinics need more nurses and better pay.",
        "Dental care should be free for adults on low incomes.",
        "Ambulance response times in the hills are dangerous.",
        "Fund more support for people caring for elderly relatives.",
    ],
    "schools": [
        "Classrooms are overcrowded and teachers are exhausted.",
        "School buildings leak and need urgent repairs.",
        "Free school lunches have made a real difference for kids.",
        "More teacher aides are needed for children with learning needs.",
        "The local high school needs a new science block.",
        "Zoning rules split our children across different schools.",
        "Fund early childhood education for every three year old.",
        "Trades training at school should be easier to get into.",
    ],
    "process": [
        "Six weeks is not long enough to respond to a document this size.",
        "Hold public meetings in the evenings so working people can come.",
        "The consultation document is full of jargon.",
        "Publish all the submissions so we can see what others said.",
        "Tell us how our feedback changed the final decision.",
        "Paper forms should be available at the library.",
        "The online form kept timing out before I finished.",
        "Previous consultations were ignored, so people have given up.",
    ],
    "roads": [
        "Potholes on the rural roads are wrecking tyres.",
        "Separated cycle lanes would make riding to school safe.",
        "Lower the speed limit outside schools to thirty.",
        "The intersection by the supermarket needs traffic lights.",
        "Footpaths are cracked and hard to use with a pram or wheelchair.",
        "Heavy trucks should be kept off residential streets.",
        "More pedestrian crossings on the main road please.",
        "Resurface the highway before someone is killed.",
    ],
    "climate": [
        "The council must cut its carbon emissions much faster.",
        "Plan now for sea level rise along the coast.",
        "Stop approving new subdivisions on flood plains.",
        "Plant native trees to soak up carbon and shade the streets.",
        "Switch the council fleet to electric vehicles.",
        "Coastal erosion is already eating into the reserve.",
        "Install solar panels on every council building.",
        "Recycling and composting collections should reduce landfill waste.",
    ],
    "safety": [
        "There are not enough police on the streets at night.",
        "Street lighting in the park is poor and people feel unsafe.",
        "Shoplifting and ram raids are hurting small businesses.",
        "More youth programmes would keep teenagers out of trouble.",
        "CCTV in the town centre would deter vandalism.",
        "Family violence services need secure long-term funding.",
        "Boy racers make the main road dangerous on weekends.",
        "Neighbourhood support groups deserve more help from the council.",
    ],
}


def build(seed: int = 11) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows = []
    for theme, sentences in THEMES.items():
        for _ in range(PER_THEME):
            parts = rng.sample(sentences, rng.choice((1, 2, 2, 3)))
            if rng.random() < 0.6:
                parts.insert(rng.randrange(len(parts) + 1), rng.choice(GENERAL))
            rows.append({"theme": theme, "text": " ".join(parts)})
    rng.shuffle(rows)
    return rows


if __name__ == "__main__":
    target = Path(__file__).with_name("themes_labelled.jsonl")
    with target.open("w", encoding="utf-8") as out:
        for row in build():
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {target}")
