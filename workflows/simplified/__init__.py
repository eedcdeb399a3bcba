"""The simplified procedure (CP Art 13): the Party's advance specifications, their workflow
(``workflow.SimplifiedProcedure``) and models, and the matching the AIA intake applies to a
notification (``matching``). The workflow is not imported here: the register's activity
(activities/simplified.py) imports the models, and the workflow imports that activity."""
