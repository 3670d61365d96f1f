/**
 * The JSON the server answers to `/api/files` about each opened file: its groups with their
 * counts, image series and other datasets. Shared by the server (writes it) and the page (reads it).
 */

export interface GroupTree {
  name: string;
  xml: boolean;
  acquisitions: number;
  waveforms: number;
  series: { name: string; count: number }[];
  datasets: { name: string; shape: number[]; type: string }[];
}

export interface FileTree {
  id: number;
  name: string;
  path: string;
  size: number;
  groups: GroupTree[];
}
