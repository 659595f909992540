import { createContext, useContext } from 'react';
import type { WorkspaceViewerQuery } from '../gql/graphql';

export type Viewer = WorkspaceViewerQuery['viewer'];

export const ViewerContext = createContext<Viewer | null>(null);

/** The principal signed in to the current workspace (inside WorkspaceLayout). */
export function useViewer(): Viewer {
  const viewer = useContext(ViewerContext);
  if (!viewer) throw new Error('useViewer outside WorkspaceLayout');
  return viewer;
}

export function canAdminister(viewer: Viewer): boolean {
  return viewer.role === 'owner' || viewer.role === 'admin';
}
