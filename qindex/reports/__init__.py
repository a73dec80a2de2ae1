"""Reports: what the notebooks show, for people who never see code. Each report kind is one module with one
entry point, ``<kind>_report(...) -> <Kind>Report``, that takes the numbers from the computation below it and
only presents them:

=================  ==========================================  =============================================
module             entry point                                 presents
=================  ==========================================  =============================================
:mod:`.plan`       :func:`~.plan.plan_report`                  :func:`qindex.plan_assessment.assess_plan`
:mod:`.annual`     :func:`~.annual.annual_report`              :func:`qindex.year_assessment.assess_year`
:mod:`.compare`    :func:`~.compare.comparison_report`         :mod:`qindex.comparison`
:mod:`.index`      :func:`~.index.index_report`                :func:`qindex.city_index.index_study`
:mod:`.requests`   :func:`~.requests.requests_table`           a plan's targets without a verdict
:mod:`.text`       :func:`~.text.show`, :func:`~.text.save_tables`, :func:`~.text.zh_punct`: shared by all
=================  ==========================================  =============================================
"""
