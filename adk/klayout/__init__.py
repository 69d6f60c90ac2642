"""adk inside the KLayout application: the menu's code, its installation as a KLayout
package (a Salt grain) and the bridge to the application's own ``pya`` module.

:mod:`adk.klayout.plugin` holds what the menu does, runnable in batch mode
(``klayout -b -r``); :mod:`adk.klayout.menu` the menu itself; :mod:`adk.klayout.progress`
a run under KLayout's progress bar, in a worker process (:mod:`adk.klayout.worker`) that
keeps the window responsive; :mod:`adk.klayout.summary` the text shown after a run;
:mod:`adk.klayout.waiver_file` the layout's waiver file, applied by
each run and written from the marker browser's waive flags, for which
:mod:`adk.klayout.waiver_dialog` asks the reason and the owner; :mod:`adk.klayout.layers` a
deck's layers as KLayout layer properties (``.lyp``); :mod:`adk.klayout.pages` the manuals as
HTML; :mod:`adk.klayout.install` writes and removes the grain, which :mod:`adk.klayout.grain`
describes.
"""
