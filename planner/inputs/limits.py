"""Size limits on user text and files, each written once and used by models, store, pages and CLI."""

from planner.inputs.units import KIB

NAME_MAX_CHARS = 120  # project names, assessment labels, price-list names, authors
SHORT_TEXT_MAX_CHARS = 40  # architecture names, app versions, question keys
NOTES_MAX_CHARS = 4_000  # Assessment.notes
PARTICIPANT_NAME_MAX_CHARS = 60  # workshop participants' display names
OVERRIDE_NOTE_MAX_CHARS = 1_000  # facilitator notes on an overridden workshop answer
ACKNOWLEDGEMENT_NOTE_MAX_CHARS = 1_000  # a person's note acknowledging a fired revisit trigger
ITEM_NOTE_MAX_CHARS = 1_000  # a person's note on changing the status of an improvement item
MAX_ASSESSMENT_FILE_BYTES = 256 * KIB  # an assessment is a few kB; anything larger is not one
MAX_PRICE_LIST_BYTES = 5 * KIB * KIB  # per uploaded price file; a price list of every cloud is well under 1 MB
