"""Surveys in the browser (问卷上传与预览): an author uploads an XLSForm with the CSV/XML files it
reads, sees every problem and warning by sheet, row and column, previews it as the tablet renders
it, publishes it as a survey version and downloads any version as XLSForm or YAML.

The importer is ``evaluator.surveys.xlsform.read_xlsform`` (what ``evaluator xlsform import
--attach`` runs) and the exporter ``export_xlsform`` (``evaluator xlsform export``); this package
only stores, shows and publishes what they produce.
"""
