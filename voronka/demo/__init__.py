"""The demo data set (`voronka demo`): three funnels from the seeds, users of every role and
a year of deals with their history — built through the services, so every gate holds.

Plain modules, not a Django app: ``funnels`` (the pipelines as data), ``people`` (staff and
clients), ``profiles`` (managers' funnel shapes), ``leads`` (new requests), ``planner``
(the history, planned deterministically), ``history`` (writing it through the services),
``texts`` (what managers write), ``build`` (putting it together).
"""
