"""A statement's description, as the database driver gives it through the engine (on PostgreSQL the
columns are described when first read, estate.db.postgresql)."""

from sqlalchemy import literal, select, text


def test_a_description_names_each_column_in_order(engine):
    with engine.connect() as connection:
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1 AS one, 'x' AS two, 3 AS three")
            description = cursor.description
            assert len(description) == 3
            assert [column[0] for column in description] == ["one", "two", "three"]
            assert description[-1][0] == "three"
            assert [column[0] for column in description[1:]] == ["two", "three"]
            assert cursor.fetchall() == [(1, "x", 3)]
        finally:
            cursor.close()


def test_a_statement_without_rows_has_no_description(engine):
    with engine.connect() as connection:
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            cursor.execute("UPDATE organizations SET name = name WHERE id = -1")
            assert cursor.description is None
        finally:
            cursor.close()
            connection.rollback()


def test_rows_read_through_the_engine_keep_their_column_names(engine):
    statement = select(literal(1).label("first"), literal("a").label("second"))
    with engine.connect() as connection:
        for _ in range(2):  # compiled, then from SQLAlchemy's cache with its columns' metadata kept
            row = connection.execute(statement).one()
            assert dict(row._mapping) == {"first": 1, "second": "a"}
        assert connection.execute(text("SELECT 7 AS seven")).one().seven == 7
