"""Input-output analysis: Leontief, Ghosh and mixed models, multipliers, linkages, regionalisation.

The algebra is in :mod:`~jdmodel.inputoutput.algebra` (functions of numpy arrays); :class:`IOTable`
holds a labelled, balanced table; :func:`regionalise` builds a regional table with location
quotients; :mod:`~jdmodel.inputoutput.link` connects the growth model to the district table.

References
----------
Miller, R. E. and Blair, P. D. (2009). *Input-Output Analysis: Foundations and Extensions*, 2nd ed.
"""

from jdmodel.inputoutput.data import load_concordance, load_national, national_groups
from jdmodel.inputoutput.link import RegionalIO, economy_wide, load_regional, regional_table
from jdmodel.inputoutput.linkages import Linkages
from jdmodel.inputoutput.regional import aflq, cilq, flq, flq_lambda, location_quotients, regionalise, slq
from jdmodel.inputoutput.summary import IOSummary, summary
from jdmodel.inputoutput.table import IOTable

__all__ = ["IOTable", "regionalise", "summary", "IOSummary", "Linkages", "RegionalIO", "load_regional",
           "economy_wide", "regional_table", "load_national", "load_concordance", "national_groups",
           "slq", "cilq", "flq", "aflq", "flq_lambda", "location_quotients"]
