import { Project } from 'projen';
import { IMultiArchService } from '../contract/internal';

/** Marks a component as a service of the pipeline (see MultiArchService). */
const SERVICE = Symbol.for('projen-multiarch.service');

/** Marks a component as a service: servicesOf finds it in the construct tree. */
export function markService(service: IMultiArchService): void {
  Object.defineProperty(service, SERVICE, { value: true });
}

/** The services of a project, in creation order: the construct tree is the only registry. */
export function servicesOf(project: Project): IMultiArchService[] {
  return project.components.filter(c => (c as any)[SERVICE] === true) as unknown as IMultiArchService[];
}
