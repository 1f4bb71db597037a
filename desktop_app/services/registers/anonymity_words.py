"""Word lists for ``anonymity``: the common English words a name can also be, the words that
make a contact an organisation, and what a "postcode" typed in lower case may really be.

``COMMON_WORDS`` are the ~300 most common English words, the months and days, and the words
staff write about care (and family names that are also such words: Best, Case, Green,
Hall, Wood...). Reported from a person's wizard or record, a single word of their names is
refused only when it is written with a capital letter and is not one of these: "The best
interests meeting" and "In this case" say nothing about Grace Best or Joan Case, while
"Edith" does.
"""

from __future__ import annotations

_MOST_COMMON = """
a about above across act add after again against age ago agree all almost alone along
already also although always am among an and another answer any anyone anything are area
around as ask at away back bad be became because become been before began begin behind
being believe below best better between big bit both boy bring brought build business but
buy by call came can cannot car care carry case cause certain change child children city
close cold come common could country course cut day days did different do does done door
down draw during each early end enough even ever every eye face fact fall family far fast
father feel feet felt few field find fine fire first five follow food for form found four
free friend from front full gave general get girl give given go going gone good got great
green group grow had half hand happen hard has have he head hear heard help her here high
him his hold home hope hot hour house how however i if important in interest into is it its
just keep kind knew know land large last late later lead learn least leave left less let
letter life light like line list little live long look lot love low made make man many may
me mean men might mind miss more most mother move much must my name near need never new
next night no not note nothing now number of off often old on once one only open or order
other our out over own page paper part party past people perhaps person place plan play
point possible power present problem public put question quite rather read ready real
really reason red right room round run said same saw say school second see seem seen self
sense set several shall she short should show side simple since small so some something
sometimes soon sound stand start state still stop story study such sure system take talk
tell than that the their them then there these they thing things think this those though
thought three through time to today together told too took top toward town tree true try
turn two under until up upon us use used very wait walk want war was watch water way we
week well went were what when where whether which while white who whole whom why wide will
with within without woman women word words work world would write year yes yet you young
your
"""
_MONTHS_AND_DAYS = """
january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday
"""
_CARE_AND_NAMES = """
attorney bed bell best black brown call carer case centre charge church clinic cook council
court daughter deputy doctor drops duty england faith field gp hall health hill hospital
house joy king lane lord manager matron medical mental new north nurse park practice
pharmacy rose service services sister social son south street surgery team trust ward
wood west east worker young
"""
COMMON_WORDS = frozenset((_MOST_COMMON + _MONTHS_AND_DAYS + _CARE_AND_NAMES).split())

# A contact whose name has one of these words is an organisation, not a person: its words
# are not names ("Charnwood Medical Centre"; the part after a comma never is a name).
ORGANISATION_WORDS = frozenset("""
agency association care centre charity clinic company council group health hospital ltd
limited medical nhs partnership pharmacy practice services solicitors surgery team trust
""".split())

# Small words inside family names ("de la Cruz", "van der Berg") that are not a name alone.
PARTICLES = frozenset("da de del della den der di du la le van von st".split())

# Letters that, typed in lower case after a digit, are a unit or an ordinal rather than a
# postcode's inward code: "S4 1hr", "S1 2nd", "S10 3yr". Typed in capitals they count.
NOT_INWARD = frozenset("hr yr st nd rd th ft lb dl pt wk hz".split())
