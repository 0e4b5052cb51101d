import fs from 'node:fs';
import path from 'node:path';
import type { LayersModel, io } from '@tensorflow/tfjs';
import type { Tf } from './backend';
import type { PreparedDataset } from './data/types';

/** File names of a saved model, the layout tf.loadLayersModel('file://.../model.json') reads. */
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/**
 * Saves a model as `model.json` plus one `weights.bin` in `directory`
 * (created when missing), the layout tfjs-node's `file://` handler writes.
 * It works without tfjs-node because the files are written here through
 * tf.io.withSaveHandler.
 */
/** File beside model.json that records how inputs were prepared for training. */
export const PREPROCESSING_JSON = 'preprocessing.json';

/**
 * Writes what a user of the exported model needs besides its weights: the
 * task, the class names in output order, the feature names and the
 * normalisation the trainer applied. New inputs must be normalised the same
 * way before `model.predict`.
 */
export function savePreprocessing(directory: string, data: PreparedDataset): void {
  const preprocessing = {
    task: data.task,
    features: data.features,
    featureNames: data.featureNames ?? null,
    classes: data.classes,
    classNames: data.classNames ?? null,
    normalisation: data.normalisation ?? null,
  };

  fs.mkdirSync(directory, { recursive: true });
  fs.writeFileSync(path.join(directory, PREPROCESSING_JSON), `${JSON.stringify(preprocessing)}\n`);
}

export async function saveModelTo(tf: Tf, model: LayersModel, directory: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error('saveModelTo writes layers models only; the model has a binary topology');
      }

      const weightData = new tf.io.CompositeArrayBuffer(artifacts.weightData).slice();
      const modelJson: io.ModelJSON = {
        modelTopology: artifacts.modelTopology!,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        trainingConfig: artifacts.trainingConfig ?? trainingConfigOf(model),
        weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
      };

      fs.mkdirSync(directory, { recursive: true });
      fs.writeFileSync(path.join(directory, WEIGHTS_BIN), Buffer.from(weightData));
      fs.writeFileSync(path.join(directory, MODEL_JSON), JSON.stringify(modelJson));

      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          weightDataBytes: weightData.byteLength,
        },
      };
    }),
  );
}

/**
 * Describes the compiled loss and optimizer in Keras's training-config form.
 * TF.js writes a training config only together with the optimizer's state
 * (includeOptimizer), which an exported model does not need.
 */
function trainingConfigOf(model: LayersModel): io.TrainingConfig | undefined {
  if (model.optimizer === undefined || typeof model.loss !== 'string') {
    return undefined;
  }
  return {
    loss: model.loss,
    optimizer_config: {
      class_name: model.optimizer.getClassName(),
      config: model.optimizer.getConfig(),
    },
  };
}

/** Loads a model that saveModelTo wrote, without tfjs-node's `file://` handler. */
export async function loadModelFrom(tf: Tf, directory: string): Promise<LayersModel> {
  const modelJson = JSON.parse(
    fs.readFileSync(path.join(directory, MODEL_JSON), 'utf8'),
  ) as io.ModelJSON;
  const weights = fs.readFileSync(path.join(directory, WEIGHTS_BIN));
  const weightData = weights.buffer.slice(
    weights.byteOffset,
    weights.byteOffset + weights.byteLength,
  );

  const artifacts = await tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => [
    manifest.flatMap((group) => group.weights),
    weightData,
  ]);
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}
