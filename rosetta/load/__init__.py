"""The load clients: ``async-rosetta load`` (echo, :mod:`rosetta.load.echo`) and the FTP
client of ``bench ftp`` (:mod:`rosetta.load.ftp`)."""
