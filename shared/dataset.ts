/**
 * Dataset descriptions shared by the main process and the renderer.
 */

/** Kind of prediction a dataset is for, which fixes the output layer and the loss. */
export type Task = 'classification' | 'regression';

/** Location and format of a dataset's files, stored with the dataset. */
export type DatasetSource =
  | {
      format: 'idx';
      /** IDX image file (`*-images-idx3-ubyte`, optionally `.gz`). */
      images: string;
      /** IDX label file (`*-labels-idx1-ubyte`, optionally `.gz`). */
      labels: string;
      /** Held-out test pair, such as MNIST's t10k files. */
      testImages?: string;
      testLabels?: string;
    }
  | {
      format: 'csv';
      path: string;
      /** Column name (or 0-based index as a string when the file has no header). */
      target: string;
      task: Task;
    }
  | {
      format: 'npy';
      /** 2-D float array, one row per example. */
      features: string;
      /** 1-D array of labels or targets. */
      targets: string;
      task: Task;
    };
