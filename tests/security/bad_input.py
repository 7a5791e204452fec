"""What the bad-input tests share: every form class, and a scan of every stored value."""

from __future__ import annotations

from sqlalchemy import select

from app import db
from app.db import Base
from app.forms import Form
from app.models import import_all
from app.security import characters


def all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from all_subclasses(sub)


def every_form() -> list[type[Form]]:
    return sorted(all_subclasses(Form), key=lambda cls: cls.__qualname__)


def stored_forbidden_values() -> list[str]:
    """Every stored text value (decrypted, through the models) holding a character no text
    may hold, as "Model.column". Needs an app context."""
    import_all()
    db.session.remove()
    found = []
    for mapper in Base.registry.mappers:
        for row in db.session.scalars(select(mapper.class_)):
            for column in mapper.column_attrs:
                value = getattr(row, column.key, None)
                if isinstance(value, str) and characters.has_forbidden_characters(
                        value, multiline=True):
                    found.append(f"{mapper.class_.__name__}.{column.key}")
    db.session.remove()
    return sorted(set(found))
