"""Infrastructure: artefact I/O, the results/ layout, config checking, typed settings, job start-up."""
