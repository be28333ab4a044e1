"""Utrecht's 10 wijken and the 22 buurten the cooperative proposes (docs/domain.md)."""

from typing import Any

from django.utils.text import slugify

PLACES = {
    "West": ["Oog en Al", "Lombok/Leidseweg, Nieuw Engeland en Schepenbuurt"],
    "Noordwest": ["Ondiep, 2e Daalsebuurt en Pijlsweerd", "Zuilen"],
    "Overvecht": ["Overvecht Zuid", "Overvecht Noord"],
    "Noordoost": ["Votulast", "Tuindorp", "Voordorp", "Wittevrouwen en Zeeheldenbuurt"],
    "Oost": ["Oost (Abstede, Gansstraat, Oudwijk, Buiten Wittevrouwen)", "Uithof"],
    "Binnenstad": ["Binnenstad"],
    "Zuid": ["Lunetten", "Hoograven, Tolsteeg en Bokkenbuurt"],
    "Zuidwest": ["Dichterswijk en Rivierenwijk", "Kanaleneiland en Transwijk"],
    "Leidsche Rijn": [
        "Terwijde, Het Zand (en De Wetering)",
        "Parkwijk, Langerak en Leidsche Rijn Centrum (en LR-zuid)",
    ],
    "Vleuten-De Meern": [
        "Dorpskern Vleuten met Haarzuilens",
        "Dorpskern De Meern",
        "Veldhuizen en Vleuterweide",
    ],
}


def install_places(wijk_model: Any, neighbourhood_model: Any) -> None:
    """Create the wijken and buurten that are missing (takes the models, so migrations can too)."""
    for wijk_name, buurten in PLACES.items():
        wijk, _ = wijk_model.objects.get_or_create(
            slug=slugify(wijk_name), defaults={"name": wijk_name}
        )
        for name in buurten:
            neighbourhood_model.objects.get_or_create(
                slug=slugify(name), defaults={"name": name, "wijk": wijk}
            )
