"""Exports (导出与结果): ODK-style CSV/XLSX, the evaluation as a bundle, its scores and report."""
