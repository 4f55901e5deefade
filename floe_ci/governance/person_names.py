"""A bundled list of common given names and surnames, for recognising person names in
sampled values (`floe-ci classify --sample`). Broad rather than complete: a column is taken
for names when most of its values contain one of these, so a few misses do not matter.
Lower case; English, Spanish, French, German, Italian, Dutch, Nordic, Slavic, Indian,
Chinese, Japanese, Korean, Arabic and African names that are frequent in customer data."""

from __future__ import annotations

GIVEN_NAMES: frozenset[str] = frozenset(
    """
    aaron abigail adam adrian ahmed aisha alan albert alejandro alex alexander alexandra alice
    alicia amanda amelia amir amy ana andrea andrew angela anna anne anthony antonio arjun
    arthur ashley barbara ben benjamin beth betty brandon brian bruce carl carlos carmen carol
    caroline catherine charles charlotte chen chloe chris christian christina christopher claire
    claudia daniel david deborah dennis diana diego dmitri donald donna dorothy edward elena
    elizabeth ella emily emma eric erik eva evelyn fatima felix fernando francesca francis frank
    gabriel gary george giulia giuseppe grace gregory hannah harry hassan heather helen henry
    hiroshi hugo ian igor isabel isabella ivan jack jacob james jan jane janet jason javier jean
    jennifer jessica jim joan joe john jonathan jorge jose joseph joshua juan judith julia julie
    justin karen kate katherine kathleen kelly kenji kenneth kevin kim kimberly laura lauren
    leo li liam linda lisa lucas lucia luis lukas maria mark marco margaret marie mario martha
    martin mary matthew max maria mei melissa michael michelle miguel mohamed mohammed nancy
    natalia nathan nicholas nicole noah olga oliver olivia omar pablo pamela patricia patrick
    paul pedro peter philip pierre priya rachel rahul raj raymond rebecca richard robert ronald
    rosa ruth ryan samantha samuel sandra sara sarah scott sean sergei sharon sofia sophia
    stephanie stephen steven susan taro thomas timothy tom tyler victor victoria vincent walter
    wei william yuki yusuf zoe amara kwame chioma emeka nia ade olu sipho thabo
    """.split()
)

SURNAMES: frozenset[str] = frozenset(
    """
    adams ahmed ali allen anderson baker bauer becker brown campbell carter chen clark collins
    cook cruz da davies davis de diaz dubois edwards evans fischer fernandez garcia gonzalez
    green hall harris hernandez hill hoffmann huang jackson jansen johnson jones kaur khan kim
    king kowalski kumar lee lewis li lin liu lopez martin martinez meyer miller mitchell moore
    morales muller murphy nakamura nelson nguyen novak ortiz park patel perez petrov phillips
    ramirez reyes richter roberts robinson rodriguez rossi sanchez santos schmidt schneider
    schulz scott shah silva singh smith suzuki tanaka taylor thomas thompson torres turner van
    wagner walker wang weber white williams wilson wong wright wu yamamoto yang young zhang zhao
    okafor mensah nkosi ivanov popescu nielsen hansen johansson larsen virtanen
    """.split()
)
