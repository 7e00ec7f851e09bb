"""``async-rosetta port``: asyncio idioms in your code, with their Trio and ``shared`` equivalents.

* :mod:`rosetta.port.scan` finds the idioms with :mod:`ast` (nothing is imported or run);
* :mod:`rosetta.port.idioms` is the catalogue: per idiom, the concept, public names,
  mapping rows and ``differs`` tests it cites, never an equivalent of its own;
* :mod:`rosetta.port.index` carries the README's mapping table and the ``differs``
  tests into ``index.json``, generated and shipped with the package;
* :mod:`rosetta.port.report` joins the two into findings; :mod:`rosetta.port.render`
  writes them as text, JSON or HTML, and builds the site's Porting page;
* :mod:`rosetta.port.command` is the command line, :mod:`rosetta.port.bench` its bench,
  :mod:`rosetta.port.walkthrough` the README's and the site's worked example.

The rest of rosetta is reached through few imports, all of them inside functions
or in these places: :mod:`rosetta.concepts` (``get_concept``, ``concept_names``,
``load_sources``), :mod:`rosetta.site.builder` (``parse_tests`` for the index),
:mod:`rosetta.site.pages` and :mod:`rosetta.site.text` (``page``, ``stylesheet``, the
``Site`` type; ``code_html``, ``inline``) for HTML, and :mod:`rosetta.bench.options` /
:mod:`rosetta.bench.schema` for the bench.
"""
