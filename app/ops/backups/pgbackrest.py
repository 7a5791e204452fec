"""PostgreSQL continuous archiving with pgBackRest: the adapter lands in the next commit."""


def enabled(config) -> bool:
    return bool(config.get("PGBACKREST_STANZA"))
