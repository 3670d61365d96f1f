// The sliding window of real-time view sharing (gridding, block images, running sum), split over coils on the pool.
export {
  densityCompensate, type DensityInput, ViewSharingWindow, runViewSharingStep, runViewSharingTask, type ViewSharingStepTask,
} from './view-sharing-window.js';
