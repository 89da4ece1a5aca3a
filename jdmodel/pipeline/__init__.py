"""The run pipeline: a scenario's parameters → draws → the engine → a labelled Dataset.

- :mod:`jdmodel.pipeline.sampling` — sample every uncertain parameter on the draw axis;
- :mod:`jdmodel.pipeline.simulate` — ``jd.simulate``: central run or ensemble, with the IO block;
- :mod:`jdmodel.pipeline.results` — numpy → xarray (dims, units, provenance), NetCDF;
- :mod:`jdmodel.pipeline.observed_view` — the model beside the published figures, for the run screen.
"""
