import { LabIcon } from '@jupyterlab/ui-components';

/** A trophy: the CodeQuest sidebar and settings icon. */
const codequestSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M7 3h10v2h3v3a4 4 0 0 1-4 4h-.35A5 5 0 0 1 13 14.9V17h3v2H8v-2h3v-2.1A5 5 0 0 1 8.35 12H8a4 4 0 0 1-4-4V5h3V3zm10 4v3a2 2 0 0 0 1-1.73V7h-1zM6 7v1.27A2 2 0 0 0 7 10V7H6zm3-2v5a3 3 0 0 0 6 0V5H9z"/>
    <path d="M6 20h12v2H6z"/>
  </g>
</svg>`;

/** A checklist: the Tests panel icon. */
const testsSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M3 5.5 4.4 4.1 6 5.7l3.1-3.1 1.4 1.4L6 8.5zM12 5h9v2h-9zM3 12.5l1.4-1.4L6 12.7l3.1-3.1 1.4 1.4L6 15.5zM12 12h9v2h-9zM4 18h5v2H4zm8 1h9v2h-9z"/>
  </g>
</svg>`;

export const codequestIcon = new LabIcon({
  name: 'codequest-jupyter:codequest',
  svgstr: codequestSvg
});

export const testsIcon = new LabIcon({
  name: 'codequest-jupyter:tests',
  svgstr: testsSvg
});
