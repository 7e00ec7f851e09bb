"""``async-rosetta site``: the static site and the README's claims (:mod:`rosetta.site.builder`)."""
